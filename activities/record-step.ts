import { ApplicationFailure, Context } from '@temporalio/activity';
import type { AuditWriter } from '../audit';
import type { Action } from '../domain/action';
import type { NewAuditEvent } from '../domain/audit-event';
import { isTerminal } from '../domain/status';
import type { Metrics } from '../observability';

export interface RecordStepInput {
  events: NewAuditEvent[];
  action: Action;
  version: number;
}

/** Postgres refused the data itself (SQLSTATE class 22: a character it cannot store, a value out of range): a retry would fail the same way. */
const isDataException = (err: unknown): boolean => {
  for (let e = err as { cause?: unknown; code?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (typeof e.code === 'string' && e.code.startsWith('22')) return true;
  }
  return false;
};

/** Appends a step's audit events and the action's new state in one transaction; a retry writes nothing twice. */
export function createRecordStep(audit: AuditWriter, metrics?: Metrics) {
  return async function recordStep({ events, action, version }: RecordStepInput): Promise<void> {
    try {
      const end = metrics?.auditAppend.startTimer();
      await audit.append(events, { action, version });
      end?.();
      if (metrics) countStep(metrics, events, action);
    } catch (err) {
      if (!isDataException(err)) {
        // A local activity's retries are not in the server's pending activities: the worker's log says so instead.
        attemptFailed(err);
        throw err;
      }
      const cause = (err as { cause?: Error }).cause ?? (err as Error);
      throw ApplicationFailure.nonRetryable(`the audit trail refused this step's data: ${cause.message}`, 'AuditDataRejected');
    }
  };
}

/** The events that close an action; the step holding one is where it reached its terminal status. */
const CLOSING = new Set(['action.denied', 'action.expired', 'action.cancelled', 'execution.succeeded', 'execution.failed', 'grant.expired']);

/** Counted once the step is written (a retry after an unknown outcome may count a step twice; the trail never holds it twice). */
function countStep(metrics: Metrics, events: NewAuditEvent[], action: Action): void {
  for (const e of events) {
    if (e.type === 'approval.escalated') metrics.escalations.inc();
    if (e.type === 'action.approved' || e.type === 'action.denied') {
      metrics.decision.observe(Math.max(0, (Date.parse(e.at) - Date.parse(action.createdAt)) / 1000));
    }
  }
  // A gate-mode approval whose grant lapsed unused ends `approved`: terminal then, though not in general.
  const closed = isTerminal(action.status) || action.status === 'approved';
  if (closed && events.some((e) => CLOSING.has(e.type))) metrics.finished.inc({ status: action.status });
}

/** Says that an audit step could not be written this time and is retried (bounded: then the action fails closed). */
function attemptFailed(err: unknown): void {
  try {
    const { attempt, workflowExecution } = Context.current().info;
    Context.current().log.warn('audit step not written; retried', { actionId: workflowExecution?.workflowId, attempt, error: (err as Error)?.message ?? String(err) });
  } catch {
    /* outside an activity (tests calling it directly): the caller sees the error */
  }
}
