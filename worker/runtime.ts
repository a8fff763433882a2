import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../observability';

let installed = false;

/**
 * Routes the Temporal SDK's own logs (worker state, workflow `log` calls) into our pino logger, at WARN by
 * default so the console shows what matters. Must run before the first worker or connection is created.
 */
export function installTemporalLogging(log: Logger, level: LogLevel = (process.env.TEMPORAL_LOG_LEVEL as LogLevel) ?? 'WARN'): void {
  if (installed) return;
  installed = true;
  const child = log.child({ room: 'temporal' });
  Runtime.install({
    logger: new DefaultLogger(level, ({ level: l, message, meta }) => {
      const fn = l === 'ERROR' ? child.error : l === 'WARN' ? child.warn : l === 'INFO' ? child.info : child.debug;
      fn.call(child, meta ?? {}, message);
    }),
  });
}
