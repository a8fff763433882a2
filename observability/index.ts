// Logs and metrics: the pino logger and the Prometheus metrics every process exposes.
import pino, { type Logger, type LoggerOptions } from 'pino';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export type { Logger };

export function createLogger(opts: { level?: string; name?: string; pretty?: boolean; destination?: { write(line: string): void } } = {}): Logger {
  const pretty = opts.pretty ?? (process.stdout.isTTY && !process.env.CI);
  const options: LoggerOptions = {
    name: opts.name ?? 'interlock',
    level: opts.level ?? 'info',
    redact: { paths: ['req.headers.authorization', '*.token', '*.password', '*.secret'], censor: '[redacted]' },
    ...(pretty && !opts.destination ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  };
  // A destination of its own: tests read every line the process logs.
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** One registry per process, shared by the API, the worker and the policy store. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'interlock_process_' });
  return {
    registry,
    httpRequests: new Counter({ name: 'interlock_http_requests_total', help: 'API requests by route and status', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    httpDuration: new Histogram({ name: 'interlock_http_request_duration_seconds', help: 'API latency', labelNames: ['method', 'route'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] }),
    submissions: new Counter({ name: 'interlock_actions_submitted_total', help: 'Actions submitted; action and environment values the policy does not name are "other"', labelNames: ['action', 'environment'], registers: [registry] }),
    failedClosed: new Counter({ name: 'interlock_actions_failed_closed_total', help: 'Actions closed (denied before approval, failed after) because a step could not be made after its bounded retries', labelNames: ['status', 'activity'], registers: [registry] }),
    notificationsFailed: new Counter({ name: 'interlock_notifications_failed_total', help: 'Notifications a channel could not deliver (recorded as notification.failed), by channel name', labelNames: ['channel'], registers: [registry] }),
    votes: new Counter({ name: 'interlock_votes_total', help: 'Votes by outcome', labelNames: ['via', 'result'], registers: [registry] }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
