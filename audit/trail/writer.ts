import type { Db } from '../../db';
import type { AuditEvent, NewAuditEvent } from '../../domain/audit-event';
import { appendUntilWritten, link, prepare, readHead, sendBatch, type AppendAnswer, type Head, type Prepared } from './append-batch';
import { projectionRows, type ActionProjection } from './projection';

interface Pending {
  events: Prepared[];
  projection?: ActionProjection;
  resolve: (stored: AuditEvent[]) => void;
  reject: (err: unknown) => void;
}

/** A batch on its way: its events linked to the head it expects, and the answer to come. */
interface Sent {
  batch: Pending[];
  linked: AuditEvent[][];
  answer: Promise<AppendAnswer | Error>;
}

/**
 * The single writer of the audit chain in a process. Callers from many workflows enqueue; a flush loop
 * sends the queue in batches, each one statement, `interlock_append_audit` (migration 0004), which under a
 * transaction-scoped advisory lock checks that the chain's head is the one the batch was linked to and
 * that none of its ids is stored yet, then inserts the events and action projections in the statement's
 * own transaction, releasing the lock only after commit. So across processes there is one total order
 * with no fork and no gap (`seq` is head+1, never a sequence that can skip), and a retried activity, on
 * this process or another, never writes an event twice: when the head moved or an id is already stored,
 * nothing is written and the writer re-links the batch to the head it is told, taking stored events as
 * they are. Batching gives group commit: one round trip and one WAL flush per batch, not per event.
 * Two batches may be in flight, the second linked to the first's tail, so this process prepares the next
 * batch while Postgres writes the last; if the first is not written, neither is the second (its expected
 * head never appears), and both are re-sent in order. The unique index on `id` and the primary key on
 * `seq` refuse a duplicate or a fork even from a writer that skipped the lock.
 */
export class AuditWriter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  /** The head once everything sent is written; null when unknown (start, or after a failed batch). */
  private tail: Head | null = null;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;

  constructor(private readonly db: Db, opts: { maxBatch?: number; maxInFlight?: number } = {}) {
    this.maxBatch = opts.maxBatch ?? 500;
    this.maxInFlight = opts.maxInFlight ?? 2;
  }

  /** Resolves with the stored events once they are committed; rejects when they could not be written. */
  append(events: NewAuditEvent[], projection?: ActionProjection): Promise<AuditEvent[]> {
    return new Promise((resolve, reject) => {
      let prepared: Prepared[];
      try {
        prepared = events.map(prepare); // serialised now, while earlier batches are being written
      } catch (err) {
        return reject(err);
      }
      this.queue.push({ events: prepared, projection, resolve, reject });
      this.kick();
    });
  }

  /** Resolves once everything queued so far is written. */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /**
   * Starts the flush loop unless it runs. Re-checked when a loop ends: a caller resumed by the loop's last
   * batch may enqueue before the loop's promise settles, and must not wait for someone else's append.
   */
  private kick(): void {
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = this.flush().finally(() => {
      this.flushing = null;
      this.kick();
    });
  }

  private async flush(): Promise<void> {
    let inOrder: Promise<void> = Promise.resolve(); // answers are settled in the order batches were sent
    const inFlight = new Set<Promise<void>>();
    for (;;) {
      await new Promise((r) => setImmediate(r)); // let callers resumed by the last answer join the next batch
      if (this.tail === null && this.queue.length > 0) {
        if (inFlight.size > 0) {
          await inOrder; // a batch failed: its successors are re-sent in order before anything new is linked
          continue;
        }
        try {
          this.tail = await readHead(this.db);
        } catch (err) {
          for (const p of this.queue.splice(0)) p.reject(err);
          return;
        }
      }
      while (this.queue.length > 0 && inFlight.size < this.maxInFlight && this.tail !== null) {
        const sent = this.send(this.take(this.maxInFlight - inFlight.size));
        const settled = inOrder.then(() => this.settle(sent));
        inOrder = settled;
        inFlight.add(settled);
        void settled.finally(() => inFlight.delete(settled));
      }
      if (inFlight.size === 0) return;
      await Promise.race(inFlight);
    }
  }

  /** The oldest waiting appends, split over the free slots so the next batch can be prepared while one is written. */
  private take(freeSlots: number): Pending[] {
    const queued = this.queue.reduce((n, p) => n + p.events.length, 0);
    const size = Math.min(this.maxBatch, Math.ceil(queued / freeSlots));
    const batch: Pending[] = [];
    let count = 0;
    while (this.queue.length > 0 && (batch.length === 0 || count + this.queue[0].events.length <= size)) {
      const next = this.queue.shift()!;
      batch.push(next);
      count += next.events.length;
    }
    return batch;
  }

  /** Links the batch after the expected tail and sends it without waiting; the tail moves on optimistically. */
  private send(batch: Pending[]): Sent {
    const { linked, rows, tail } = link(batch.map((p) => p.events), new Map(), this.tail!);
    const projections = projectionRows(batch.flatMap((p) => (p.projection ? [p.projection] : [])));
    const answer = sendBatch(this.db, this.tail!, rows, projections).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
    this.tail = tail;
    return { batch, linked, answer };
  }

  private async settle({ batch, linked, answer }: Sent): Promise<void> {
    const outcome = await answer;
    if (!(outcome instanceof Error) && outcome.ok) return batch.forEach((p, i) => p.resolve(linked[i]));
    // Not written (the head moved, an event was already stored, or the outcome is unknown): whatever was
    // linked after this batch is stale too, so re-send this one on its own and let the next come here.
    this.tail = null;
    try {
      const written = await this.appendAlone(batch);
      batch.forEach((p, i) => p.resolve(written[i]));
    } catch (err) {
      if (batch.length === 1) return batch[0].reject(err);
      // One bad request must not fail its neighbours: retry each alone so only the culprit sees the error.
      for (const p of batch) await this.appendAlone([p]).then((s) => p.resolve(s[0]), p.reject);
    }
  }

  private async appendAlone(batch: Pending[]): Promise<AuditEvent[][]> {
    const projections = projectionRows(batch.flatMap((p) => (p.projection ? [p.projection] : [])));
    try {
      const { linked, head } = await appendUntilWritten(this.db, batch.map((p) => p.events), projections, this.tail);
      this.tail = head;
      return linked;
    } catch (err) {
      this.tail = null;
      throw err;
    }
  }
}
