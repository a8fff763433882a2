import { loadConfig } from '../config';
import { createLogger } from '../observability';
import { Lifecycle, openChannels, openProcess, requireSharedStores, startApiRole, startWorkerRole } from '../processes';
import { parseArgs, UsageError } from './args';
import type { CliIo } from './io';

export type Role = 'api' | 'worker';

/**
 * `interlock api` / `interlock worker`: one role in the foreground against a shared Temporal and Postgres,
 * until SIGINT or SIGTERM stops it cleanly (0), or the worker stops on its own (1). Prints one banner line.
 */
export async function roleCommand(role: Role, argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv);
  if (args.positional.length || args.flags.size || args.rest.length) throw new UsageError(`\`interlock ${role}\` takes no arguments; it is configured by the environment (docs/operations.md)`);
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
      const api = await startApiRole(p, { address, channels });
      io.out(`interlock api: listening on ${api.url} (Temporal ${address}, namespace ${config.temporalNamespace}, task queue ${config.taskQueue})`);
      await signal;
      return 0;
    }
    const worker = await startWorkerRole(p, { address, channels });
    io.out(`interlock worker: polling task queue ${worker.taskQueue} (Temporal ${address}, namespace ${config.temporalNamespace})`);
    const ended = await Promise.race([signal.then(() => 'signal' as const), worker.done.then(() => 'worker' as const)]);
    if (ended === 'worker') throw new Error('the worker stopped on its own');
    return 0;
  } finally {
    await lifecycle.stop();
  }
}
