import { desc, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db';
import { auditEvents, type CanonicalEvent } from '../../db/schema';
import type { AuditEvent, NewAuditEvent } from '../../domain/audit-event';
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

/** What `interlock_append_audit` (migration 0005) answers: written, or the real head and the ids already stored. */
export type AppendAnswer = { ok: true } | { ok: false; seq: number | string; hash: string; stored: string[] };

/** What is written of an event: its canonical text and prevHash (Postgres generates the rest); its hash, for Postgres to check. */
interface Row {
  seq: number;
  id: string;
  canonical: string;
  prevHash: string;
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
      const canonical = eventBody({ ...event, seq }, canonicalData);
      const hash = linkHash(prevHash, canonical);
      const e: AuditEvent = { ...event, seq, prevHash, hash };
      rows.push({ seq, id: e.id, canonical, prevHash, hash });
      prevHash = hash;
      seen.set(event.id, e);
      return e;
    }),
  );
  return { linked, rows, tail: { seq, hash: prevHash } };
}

/**
 * One round trip: the rows are written, with the projections, only if `head` is still the head and no id is
 * stored. Columns go as arrays (one parameter each, no JSON to parse); `canonical` is the exact text hashed.
 */
export async function sendBatch(db: Db, head: Head, rows: Row[], projections: Record<string, unknown>[]): Promise<AppendAnswer> {
  const column = <K extends keyof Row>(key: K) => sql.param(rows.map((r) => r[key]));
  const [{ answer }] = (
    await db.execute(
      sql`select interlock_append_audit(${head.seq}::bigint, ${head.hash}::text, ${column('id')}::text[], ${column('seq')}::bigint[], ${column('canonical')}::text[], ${column('prevHash')}::text[], ${column('hash')}::text[], ${JSON.stringify(projections)}::jsonb) as answer`,
    )
  ).rows as { answer: AppendAnswer | string }[];
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

/** The last event's seq and hash, the hash computed from its stored bytes rather than read from the generated column. */
export async function readHead(db: Pick<Db, 'select'>): Promise<Head> {
  const [head] = await db.select(storedEventColumns).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  return head ? { seq: head.seq, hash: linkHash(head.prevHash, head.canonical) } : { seq: 0, hash: GENESIS_HASH };
}

async function storedEvents(db: Db, ids: string[]): Promise<AuditEvent[]> {
  return ids.length === 0 ? [] : (await db.select(storedEventColumns).from(auditEvents).where(inArray(auditEvents.id, ids))).map(toEvent).filter((e) => ids.includes(e.id));
}

/**
 * What a reader selects of a stored event: its seq and the bytes its hash covers, nothing else. The key
 * columns are generated from the text, but a superuser who edits the catalog can make a generated column
 * writable and set it apart from the text; the verifier hashes only these bytes, so only these are shown.
 */
export const storedEventColumns = {
  seq: auditEvents.seq,
  prevHash: auditEvents.prevHash,
  canonical: sql<string>`${auditEvents.canonical}::text`.mapWith(String),
};

/** A stored event, every field read from the hashed text and its hash computed here, so it says what verification checks. */
export function toEvent(row: { seq: number; prevHash: string; canonical: string }): AuditEvent {
  const e = JSON.parse(row.canonical) as CanonicalEvent;
  return { seq: row.seq, id: e.id, actionId: e.actionId, type: e.type, actor: e.actor, at: e.at, data: e.data, policyVersion: e.policyVersion, prevHash: row.prevHash, hash: linkHash(row.prevHash, row.canonical) };
}
