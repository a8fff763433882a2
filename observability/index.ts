// Logs and metrics: the pino logger and the Prometheus metrics every process exposes.
import pino, { type Logger, type LoggerOptions } from 'pino';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

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
  const sources: Array<() => Promise<string>> = [];
  // Until the database is open there is nothing to count; a failed count keeps the last value (/readyz reports the database).
  let pendingCounter: () => Promise<number> = async () => 0;
  const countPending = async (set: (n: number) => void) => {
    try {
      set(await pendingCounter());
    } catch {
      /* the last value stands */
    }
  };
  collectDefaultMetrics({ register: registry, prefix: 'interlock_process_' });
  return {
    registry,
    httpRequests: new Counter({ name: 'interlock_http_requests_total', help: 'API requests by route and status', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    httpDuration: new Histogram({ name: 'interlock_http_request_duration_seconds', help: 'API latency', labelNames: ['method', 'route'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] }),
    submissions: new Counter({ name: 'interlock_actions_submitted_total', help: 'Actions submitted; action and environment values the policy does not name are "other"', labelNames: ['action', 'environment'], registers: [registry] }),
    failedClosed: new Counter({ name: 'interlock_actions_failed_closed_total', help: 'Actions closed (denied before approval, failed after) because a step could not be made after its bounded retries', labelNames: ['status', 'activity'], registers: [registry] }),
    notificationsFailed: new Counter({ name: 'interlock_notifications_failed_total', help: 'Notifications a channel could not deliver (recorded as notification.failed), by channel name', labelNames: ['channel'], registers: [registry] }),
    votes: new Counter({ name: 'interlock_votes_total', help: 'Votes by outcome', labelNames: ['via', 'result'], registers: [registry] }),
    finished: new Counter({ name: 'interlock_actions_finished_total', help: 'Actions that reached a terminal status, by that status (counted by the worker that recorded it)', labelNames: ['status'], registers: [registry] }),
    decision: new Histogram({ name: 'interlock_decision_seconds', help: 'From submission to the decision (approved or denied, by policy or by approvers)', buckets: [0.05, 0.1, 0.25, 0.5, 1, 5, 30, 60, 300, 900, 1800, 3600, 14400, 86400], registers: [registry] }),
    execution: new Histogram({ name: 'interlock_execution_seconds', help: 'One attempt of an executor, by executor type', labelNames: ['executor'], buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300], registers: [registry] }),
    escalations: new Counter({ name: 'interlock_escalations_total', help: 'Escalations of a pending action to its next approver tier', registers: [registry] }),
    auditAppend: new Histogram({ name: 'interlock_audit_append_seconds', help: 'Appending one step of audit events (with the action projection) to the chain', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] }),
    pending: new Gauge({ name: 'interlock_actions_pending', help: 'Actions waiting for approval, counted from the database (right with any number of processes)', registers: [registry], collect: async function () { await countPending((n) => this.set(n)); } }),
    /** Adds Prometheus text from elsewhere in the process (the Temporal SDK's worker metrics) to every scrape. */
    include(source: () => Promise<string>) {
      if (!sources.includes(source)) sources.push(source);
    },
    /** What `/metrics` answers: this registry, then every included source. */
    async exposition(): Promise<string> {
      const parts = await Promise.all([registry.metrics(), ...sources.map((f) => f())]);
      return parts.filter((p) => p.trim()).map((p) => (p.endsWith('\n') ? p : `${p}\n`)).join('');
    },
    /** Where `interlock_actions_pending` is counted (the database, once it is open). */
    countPendingWith(fn: () => Promise<number>) {
      pendingCounter = fn;
    },
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
export { endHttpSpan, installTracing, otlpRequested, startHttpSpan, traceContext, tracingClientInterceptors, tracingWorkerOptions, WORKFLOW_TRACING_MODULE, type Tracing } from './tracing';
