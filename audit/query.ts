import { and, asc, eq, gt, gte, inArray, lte, type SQL } from 'drizzle-orm';
import type { Db } from '../db';
import { auditEvents } from '../db/schema';
import { AuditEventType, type AuditEvent } from '../domain/audit-event';
import { toEvent } from './writer';

export interface AuditFilter {
  actionId?: string;
  actor?: string;
  type?: string;
  from?: string;
  to?: string;
  /** Return events after this seq (the cursor). */
  afterSeq?: number;
  limit?: number;
}

/** Events in chain order matching every given filter; the last event's seq is the next cursor. */
export async function queryAuditEvents(db: Db, f: AuditFilter): Promise<{ events: AuditEvent[]; nextCursor: number | null }> {
  const where: SQL[] = [];
  if (f.actionId) where.push(eq(auditEvents.actionId, f.actionId));
  if (f.actor) where.push(eq(auditEvents.actor, f.actor));
  if (f.type) where.push(eq(auditEvents.type, f.type));
  if (f.from) where.push(gte(auditEvents.at, f.from));
  if (f.to) where.push(lte(auditEvents.at, f.to));
  if (f.afterSeq !== undefined) where.push(gt(auditEvents.seq, f.afterSeq));
  const limit = Math.min(Math.max(f.limit ?? 100, 1), 1000);
  const rows = await db.select().from(auditEvents).where(and(...where)).orderBy(asc(auditEvents.seq)).limit(limit + 1);
  const events = rows.slice(0, limit).map(toEvent);
  return { events, nextCursor: rows.length > limit ? events[events.length - 1].seq : null };
}

/** Every event of one action, in order. */
export async function actionAuditEvents(db: Db, actionId: string): Promise<AuditEvent[]> {
  const rows = await db.select().from(auditEvents).where(eq(auditEvents.actionId, actionId)).orderBy(asc(auditEvents.seq));
  return rows.map(toEvent);
}

/** Events in chain order, page by page, so a reader of millions of events holds one page at a time. */
export async function* streamAuditEvents(db: Db, opts: { from?: string; to?: string; pageSize?: number } = {}): AsyncGenerator<AuditEvent> {
  let after = 0;
  const size = opts.pageSize ?? 5000;
  const window: SQL[] = [];
  if (opts.from) window.push(gte(auditEvents.at, opts.from));
  if (opts.to) window.push(lte(auditEvents.at, opts.to));
  for (;;) {
    const rows = await db.select().from(auditEvents).where(and(gt(auditEvents.seq, after), ...window)).orderBy(asc(auditEvents.seq)).limit(size);
    for (const row of rows) yield toEvent(row);
    if (rows.length < size) return;
    after = rows[rows.length - 1].seq;
  }
}

/** The requester and on-behalf-of principal of each action, from its `action.submitted` event. */
export async function requestersOf(db: Db, actionIds: string[]): Promise<Map<string, { requester: string; onBehalfOf: string | null }>> {
  const found = new Map<string, { requester: string; onBehalfOf: string | null }>();
  for (let i = 0; i < actionIds.length; i += 1000) {
    const rows = await db
      .select({ actionId: auditEvents.actionId, actor: auditEvents.actor, data: auditEvents.data })
      .from(auditEvents)
      .where(and(inArray(auditEvents.actionId, actionIds.slice(i, i + 1000)), eq(auditEvents.type, AuditEventType.actionSubmitted)));
    for (const row of rows) {
      const d = row.data as { requester?: { id?: string }; submission?: { onBehalfOf?: string | null } };
      found.set(row.actionId!, { requester: d.requester?.id ?? row.actor, onBehalfOf: d.submission?.onBehalfOf ?? null });
    }
  }
  return found;
}
