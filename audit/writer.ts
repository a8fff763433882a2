import { inArray, desc, sql } from 'drizzle-orm';
import type { Db } from '../db';
import { actions, auditEvents } from '../db/schema';
import type { Action } from '../domain/action';
import type { AuditEvent, NewAuditEvent } from '../domain/audit-event';
import { chainHash, GENESIS_HASH, normaliseTime } from './chain';

/** An action's latest state, written in the same transaction as the events that describe the change. */
export interface ActionProjection {
  action: Action;
  version: number;
}

interface Pending {
  events: NewAuditEvent[];
  projection?: ActionProjection;
  resolve: (stored: AuditEvent[]) => void;
  reject: (err: unknown) => void;
}

/** Any constant shared by every writer of one database; it serialises chain appends across processes. */
const CHAIN_LOCK_KEY = 7_346_001;

/**
 * The single writer of the audit chain. Callers from many workflows enqueue; one flush loop drains the
 * queue in batches, each batch one transaction that takes a transaction-scoped advisory lock, reads the
 * head, links and inserts the batch. The lock gives one total order across processes (no fork, no gap:
 * `seq` is head+1, never a sequence that can skip); batching gives group commit, so durability (a fsync
 * per commit) is paid once per batch rather than once per event. Event ids are chosen by the caller and
 * unique, so a retried activity finds its events already stored and gets them back instead of a second copy.
 */
export class AuditWriter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;

  constructor(private readonly db: Db, private readonly opts: { maxBatch?: number } = {}) {}

  append(events: NewAuditEvent[], projection?: ActionProjection): Promise<AuditEvent[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ events, projection, resolve, reject });
      if (!this.flushing) this.flushing = this.drain().finally(() => (this.flushing = null));
    });
  }

  /** Resolves once everything queued so far is written. */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async drain(): Promise<void> {
    await new Promise((r) => setImmediate(r)); // let concurrent callers join this batch
    const max = this.opts.maxBatch ?? 1000;
    while (this.queue.length > 0) {
      const batch: Pending[] = [];
      let count = 0;
      while (this.queue.length > 0 && (batch.length === 0 || count + this.queue[0].events.length <= max)) {
        const next = this.queue.shift()!;
        batch.push(next);
        count += next.events.length;
      }
      try {
        const stored = await this.writeBatch(batch);
        batch.forEach((p, i) => p.resolve(stored[i]));
      } catch (err) {
        if (batch.length === 1) batch[0].reject(err);
        // One bad request must not fail its neighbours: retry each alone so only the culprit sees the error.
        else for (const p of batch) await this.writeBatch([p]).then((s) => p.resolve(s[0]), p.reject);
      }
    }
  }

  private writeBatch(batch: Pending[]): Promise<AuditEvent[][]> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${CHAIN_LOCK_KEY})`);
      const ids = batch.flatMap((p) => p.events.map((e) => e.id));
      const existing = new Map<string, AuditEvent>();
      if (ids.length > 0) {
        for (const row of await tx.select().from(auditEvents).where(inArray(auditEvents.id, ids))) existing.set(row.id, toEvent(row));
      }
      const [head] = await tx.select({ seq: auditEvents.seq, hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
      let seq = head?.seq ?? 0;
      let prevHash = head?.hash ?? GENESIS_HASH;
      const rows: AuditEvent[] = [];
      const result = batch.map((p) =>
        p.events.map((e) => {
          const found = existing.get(e.id);
          if (found) return found;
          seq += 1;
          const linked = { ...e, at: normaliseTime(e.at), seq, prevHash } as AuditEvent;
          linked.hash = chainHash(linked, prevHash);
          prevHash = linked.hash;
          existing.set(e.id, linked); // the same id twice in one batch is still one event
          rows.push(linked);
          return linked;
        }),
      );
      for (let i = 0; i < rows.length; i += 500) await tx.insert(auditEvents).values(rows.slice(i, i + 500));
      for (const p of batch) if (p.projection) await upsertProjection(tx as unknown as Db, p.projection);
      return result;
    });
  }
}

async function upsertProjection(db: Db, { action, version }: ActionProjection): Promise<void> {
  const decision = action.decision;
  const row = {
    id: action.id,
    action: action.action,
    resource: action.resource,
    environment: action.environment,
    requester: action.requester,
    onBehalfOf: action.onBehalfOf,
    status: action.status,
    risk: decision?.risk ?? null,
    approverGroups: decision?.approvers.groups ?? [],
    approverPrincipals: decision?.approvers.principals ?? [],
    snapshot: action as unknown as Record<string, unknown>,
    version,
    createdAt: action.createdAt,
    updatedAt: action.updatedAt,
  };
  const { id: _id, createdAt: _c, ...changes } = row;
  await db
    .insert(actions)
    .values(row)
    .onConflictDoUpdate({ target: actions.id, set: changes, setWhere: sql`${actions.version} < excluded.version` });
}

export function toEvent(row: typeof auditEvents.$inferSelect): AuditEvent {
  return { ...row, at: normaliseTime(row.at) };
}
