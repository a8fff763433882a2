import type { AuditWriter } from '../audit';
import type { Action } from '../domain/action';
import type { NewAuditEvent } from '../domain/audit-event';

export interface RecordStepInput {
  events: NewAuditEvent[];
  action: Action;
  version: number;
}

/** Appends a step's audit events and the action's new state in one transaction; a retry writes nothing twice. */
export function createRecordStep(audit: AuditWriter) {
  return async function recordStep({ events, action, version }: RecordStepInput): Promise<void> {
    await audit.append(events, { action, version });
  };
}
