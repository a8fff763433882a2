import type { ILogger, LogLevel } from '@microsoft/teams.common';
import type { Logger } from '../../observability';

/** The Teams SDK logs through the process's pino logger; its per-request info lines are kept at debug. */
export function teamsSdkLogger(log: Logger, name = 'teams-sdk'): ILogger {
  const text = (msg: unknown[]) => msg.map((m) => (m instanceof Error ? m.message : typeof m === 'string' ? m : safeJson(m))).join(' ');
  const at = (level: LogLevel) => (...msg: unknown[]) => {
    const line = text(msg);
    if (level === 'error' || level === 'warn') log.warn({ sdk: name }, line);
    else log.debug({ sdk: name }, line);
  };
  const logger: ILogger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    trace: at('trace'),
    log: (level, ...msg) => at(level)(...msg),
    child: (child) => teamsSdkLogger(log, `${name}/${child}`),
  };
  return logger;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 2000) ?? String(value);
  } catch {
    return String(value);
  }
}
