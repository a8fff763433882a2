import { createServer } from 'node:net';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../observability';

let installed: Promise<void> | null = null;
let sdkMetricsUrl: string | null = null;

/**
 * Installs the Temporal SDK's runtime once per process: its own logs (worker state, workflow `log` calls) go to
 * our pino logger, at WARN by default so the console shows what matters; its worker metrics are served by Core's
 * Prometheus exporter on a loopback port of its own, which `temporalSdkMetrics` reads so that one `/metrics`
 * shows both. Must run before the first worker or native connection is created.
 */
export function installTemporalLogging(log: Logger, level: LogLevel = (process.env.TEMPORAL_LOG_LEVEL as LogLevel) ?? 'WARN'): Promise<void> {
  installed ??= (async () => {
    const port = await freeLoopbackPort();
    const child = log.child({ room: 'temporal' });
    try {
      Runtime.install({
        logger: new DefaultLogger(level, ({ level: l, message, meta }) => {
          const fn = l === 'ERROR' ? child.error : l === 'WARN' ? child.warn : l === 'INFO' ? child.info : child.debug;
          // The SDK names the workflow; the action id is the workflow id, under the name our own lines use.
          const workflowId = (meta as { workflowId?: unknown } | undefined)?.workflowId;
          fn.call(child, typeof workflowId === 'string' && workflowId.startsWith('act_') ? { actionId: workflowId, ...meta } : (meta ?? {}), message);
        }),
        telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}`, countersTotalSuffix: true, useSecondsForDurations: true, unitSuffix: true } } },
      });
      sdkMetricsUrl = `http://127.0.0.1:${port}/metrics`;
    } catch (err) {
      // Something in this process (a replay, a test environment) created the default runtime first.
      log.warn({ err }, 'the Temporal runtime was already installed: SDK logs and metrics keep its defaults');
    }
  })();
  return installed;
}

/** The Temporal SDK's worker metrics (`temporal_*`) in Prometheus text, or '' before a worker ran in this process. */
export async function temporalSdkMetrics(): Promise<string> {
  if (!sdkMetricsUrl) return '';
  try {
    const res = await fetch(sdkMetricsUrl, { signal: AbortSignal.timeout(2000) });
    return res.ok ? await res.text() : '';
  } catch {
    return '';
  }
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
