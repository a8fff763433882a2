import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db';
import { auditEvents } from '../../db/schema';
import { writtenSeqOf } from './link-hasher';
import { TrailProblem } from './problems';

export interface Diagnosis {
  problem: TrailProblem;
  firstBad: number;
  message: string;
}

/**
 * Names what happened to an event that does not check out at its seq. Its canonical text records the seq it
 * was written at, so an intact event that sits at another seq was moved ("reordered", or shifted down after a
 * removal); anything else was changed. Runs once, on the failure, never per event.
 */
export async function diagnoseBrokenEvent(db: Db, seq: number): Promise<Diagnosis> {
  const [row] = await db
    .select({ id: auditEvents.id, type: auditEvents.type, canonical: sql<string>`${auditEvents.canonical}::text` })
    .from(auditEvents)
    .where(eq(auditEvents.seq, seq));
  if (!row) return { problem: TrailProblem.missing, firstBad: seq, message: `event ${seq} disappeared while it was being verified` };
  const written = writtenSeqOf(row.canonical);
  if (written > 0 && written !== seq) {
    return { problem: TrailProblem.reordered, firstBad: seq, message: `event at seq ${seq} (${row.id}) was written as seq ${written}: events were reordered${written > seq ? ' or one before it was removed' : ''}` };
  }
  return { problem: TrailProblem.changed, firstBad: seq, message: `event ${seq} (${row.id}, ${row.type}) is not an event as the writer stores one: its content was changed` };
}

/**
 * Event `seq` records a predecessor hash that event `seq - 1` no longer hashes to. The usual cause is an
 * edited event: its hash (which Postgres recomputes, as an attacker would) changed with it, and only its
 * successor still remembers the original. So the predecessor is reported, the first event not to be trusted.
 */
export function diagnoseBrokenLink(seq: number): Diagnosis {
  return {
    problem: TrailProblem.changed,
    firstBad: seq - 1,
    message: `event ${seq} records a predecessor hash that event ${seq - 1} no longer has: event ${seq - 1} was changed (or event ${seq}'s link to it was), or events were inserted`,
  };
}
