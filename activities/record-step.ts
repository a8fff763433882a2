import { ApplicationFailure } from '@temporalio/activity';
import type { AuditWriter } from '../audit';
import type { Action } from '../domain/action';
import type { NewAuditEvent } from '../domain/audit-event';

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
export function createRecordStep(audit: AuditWriter) {
  return async function recordStep({ events, action, version }: RecordStepInput): Promise<void> {
    try {
      await audit.append(events, { action, version });
    } catch (err) {
      if (!isDataException(err)) throw err;
      const cause = (err as { cause?: Error }).cause ?? (err as Error);
      throw ApplicationFailure.nonRetryable(`the audit trail refused this step's data: ${cause.message}`, 'AuditDataRejected');
    }
  };
}
