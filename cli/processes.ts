import { loadConfig } from '../config';
import { createLogger } from '../observability';
import { Lifecycle } from '../processes/lifecycle';
import { serveMetrics } from '../processes/metrics-endpoint';
import { openChannels, openProcess } from '../processes/process';
import { requireSharedStores } from '../processes/requirements';
import { one, parseArgs, rejectUnknown, UsageError } from './args';
import type { CliIo } from './io';

export type Role = 'api' | 'worker';

/**
 * `interlock api` / `interlock worker`: one role in the foreground against a shared Temporal and Postgres,
 * until SIGINT or SIGTERM stops it cleanly (0), or the worker stops on its own (1). Prints one banner line.
 */
export async function roleCommand(role: Role, argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv);
  if (args.positional.length || args.rest.length) throw new UsageError(`\`interlock ${role}\` takes no arguments; it is configured by the environment (docs/operations.md)`);
  rejectUnknown(args, role === 'worker' ? ['metrics-port'] : []);
  const metricsPort = metricsPortOf(one(args, 'metrics-port'));
  const config = loadConfig(io.env);
  requireSharedStores(config, role);
  const address = config.temporalAddress!;
  const log = createLogger({ level: config.logLevel, name: `interlock-${role}` });
  const lifecycle = new Lifecycle(log);
  const signal = lifecycle.untilSignal();
  try {
    const p = await openProcess(config, log, lifecycle);
    const channels = await openChannels(p);
    if (role === 'api') {
      // Each role loads only its own code: a worker never loads the API's HTTP server, console and MCP gateway.
      const { startApiRole } = await import('../processes/api-role');
      const api = await startApiRole(p, { address, channels });
      io.out(`interlock api: listening on ${api.url} (Temporal ${address}, namespace ${config.temporalNamespace}, task queue ${config.taskQueue})`);
      await signal;
      return 0;
    }
    const { startWorkerRole } = await import('../processes/worker-role');
    const worker = await startWorkerRole(p, { address, channels });
    const endpoint = metricsPort === undefined ? null : await serveMetrics(p.services.metrics, { host: config.host, port: metricsPort });
    if (endpoint) lifecycle.add('metrics endpoint', endpoint.close);
    io.out(`interlock worker: polling task queue ${worker.taskQueue} (Temporal ${address}, namespace ${config.temporalNamespace})${endpoint ? `; metrics at ${endpoint.url}` : ''}`);
    const ended = await Promise.race([signal.then(() => 'signal' as const), worker.done.then(() => 'worker' as const)]);
    if (ended === 'worker') throw new Error('the worker stopped on its own');
    return 0;
  } finally {
    await lifecycle.stop();
  }
}

function metricsPortOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) throw new UsageError(`--metrics-port "${raw}" is not a port number (0-65535)`);
  return n;
}
