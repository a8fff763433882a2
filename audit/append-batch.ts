import { desc, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db';
import { auditEvents } from '../db/schema';
import type { AuditEvent, NewAuditEvent } from '../domain/audit-event';
import { canonicalJson, toJsonValue } from './canonical-json';
import { eventBody, GENESIS_HASH, linkHash, normaliseTime } from './chain';

/** An event serialised once, before it has a place in the chain. */
export interface Prepared {
  event: Omit<AuditEvent, 'seq' | 'prevHash' | 'hash'>;
  canonicalData: string;
}

/** The last event of the chain (seq 0 and the genesis hash when empty). */
export interface Head {
  seq: number;
  hash: string;
}

/** What `interlock_append_audit` (migration 0004) answers: written, or the real head and the ids already stored. */
export type AppendAnswer = { ok: true } | { ok: false; seq: number | string; hash: string; stored: string[] };

interface Row {
  seq: number;
  id: string;
  action_id: string | null;
  type: string;
  actor: string;
  at: string;
  data: string;
  policy_version: string | null;
  prev_hash: string;
  hash: string;
}

/** The data is stored and hashed in the form JSON can hold; `data` goes in as the canonical text that was hashed. */
export function prepare(e: NewAuditEvent): Prepared {
  const data = toJsonValue(e.data);
  return { event: { id: e.id, actionId: e.actionId, type: e.type, actor: e.actor, at: normaliseTime(e.at), data, policyVersion: e.policyVersion }, canonicalData: canonicalJson(data) };
}

/** Links a batch after `head`, in order; an id already stored, or repeated in the batch, is one event. */
export function link(batch: Prepared[][], stored: Map<string, AuditEvent>, head: Head): { linked: AuditEvent[][]; rows: Row[]; tail: Head } {
  let seq = head.seq;
  let prevHash = head.hash;
  const seen = new Map(stored);
  const rows: Row[] = [];
  const linked = batch.map((events) =>
    events.map(({ event, canonicalData }) => {
      const found = seen.get(event.id);
      if (found) return found;
      seq += 1;
      const hash = linkHash(prevHash, eventBody({ ...event, seq }, canonicalData));
      const e: AuditEvent = { ...event, seq, prevHash, hash };
      rows.push({ seq, id: e.id, action_id: e.actionId, type: e.type, actor: e.actor, at: e.at, data: canonicalData, policy_version: e.policyVersion, prev_hash: prevHash, hash });
      prevHash = hash;
      seen.set(event.id, e);
      return e;
    }),
  );
  return { linked, rows, tail: { seq, hash: prevHash } };
}

/** One round trip: the rows are written, with the projections, only if `head` is still the head and no id is stored. */
export async function sendBatch(db: Db, head: Head, rows: Row[], projections: Record<string, unknown>[]): Promise<AppendAnswer> {
  const expected = JSON.stringify({ seq: head.seq, hash: head.hash, ids: rows.map((r) => r.id) });
  // `data` goes in as the canonical JSON itself, not a string of it: a json value keeps its text exactly.
  const events = `[${rows.map((r) => `{"seq":${r.seq},"id":${JSON.stringify(r.id)},"action_id":${JSON.stringify(r.action_id)},"type":${JSON.stringify(r.type)},"actor":${JSON.stringify(r.actor)},"at":"${r.at}","data":${r.data},"policy_version":${JSON.stringify(r.policy_version)},"prev_hash":${JSON.stringify(r.prev_hash)},"hash":${JSON.stringify(r.hash)}}`).join(',')}]`;
  const [{ answer }] = (await db.execute(sql`select interlock_append_audit(${expected}::jsonb, ${events}::json, ${JSON.stringify(projections)}::jsonb) as answer`)).rows as { answer: AppendAnswer | string }[];
  return typeof answer === 'string' ? JSON.parse(answer) : answer;
}

/**
 * Appends a batch however the head moves meanwhile: re-links after another writer's events and takes
 * the events a retried activity already stored as they are. Returns the events and the new head.
 */
export async function appendUntilWritten(db: Db, batch: Prepared[][], projections: Record<string, unknown>[], head: Head | null): Promise<{ linked: AuditEvent[][]; head: Head }> {
  const stored = new Map<string, AuditEvent>();
  let current = head ?? (await readHead(db));
  for (let attempt = 1; ; attempt++) {
    const { linked, rows, tail } = link(batch, stored, current);
    const answer = await sendBatch(db, current, rows, projections);
    if (answer.ok) return { linked, head: tail };
    if (attempt >= 20) throw new Error('the audit chain head kept moving; gave up after 20 attempts');
    current = { seq: Number(answer.seq), hash: answer.hash };
    for (const e of await storedEvents(db, answer.stored)) stored.set(e.id, e);
  }
}

export async function readHead(db: Db): Promise<Head> {
  const [head] = await db.select({ seq: auditEvents.seq, hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  return head ?? { seq: 0, hash: GENESIS_HASH };
}

async function storedEvents(db: Db, ids: string[]): Promise<AuditEvent[]> {
  return ids.length === 0 ? [] : (await db.select().from(auditEvents).where(inArray(auditEvents.id, ids))).map(toEvent);
}

export function toEvent(row: typeof auditEvents.$inferSelect): AuditEvent {
  return { ...row, at: normaliseTime(row.at) };
}
