import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import type { Logger } from '../../observability';

/** Bolt and the Web API client log through the process's pino logger, so Slack shows up with everything else. */
export function boltLogger(log: Logger): SlackLogger {
  let level: LogLevel = LogLevel.WARN; // Bolt's INFO lines (one per request) are noise in the API's log
  const rank = { [LogLevel.DEBUG]: 0, [LogLevel.INFO]: 1, [LogLevel.WARN]: 2, [LogLevel.ERROR]: 3 };
  const at = (l: LogLevel) => (...msg: unknown[]) => {
    if (rank[l] >= rank[level]) log[l](msg.map((m) => (m instanceof Error ? m.message : typeof m === 'string' ? m : JSON.stringify(m))).join(' '));
  };
  return {
    debug: at(LogLevel.DEBUG),
    info: at(LogLevel.INFO),
    warn: at(LogLevel.WARN),
    error: at(LogLevel.ERROR),
    setLevel: (l) => void (level = l),
    getLevel: () => level,
    setName: () => {},
  };
}
