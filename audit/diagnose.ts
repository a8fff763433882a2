import { eq } from 'drizzle-orm';
import type { Db } from '../db';
import { auditEvents } from '../db/schema';
import { chainHash } from './chain';
import { TrailProblem } from './problems';
import { toEvent } from './writer';

export interface Diagnosis {
  problem: TrailProblem;
  firstBad: number;
  message: string;
}

/**
 * Names what happened to an event whose fields no longer hash to its stored hash. An intact event moved
 * to another seq still hashes right with the seq it was written at, so a search nearby tells "reordered"
 * (or shifted down after a removal) from "changed". Runs once, on the failure, never per event.
 */
export async function diagnoseBrokenEvent(db: Db, seq: number, window = 1000): Promise<Diagnosis> {
  const [row] = await db.select().from(auditEvents).where(eq(auditEvents.seq, seq));
  if (!row) return { problem: TrailProblem.missing, firstBad: seq, message: `event ${seq} disappeared while it was being verified` };
  const e = toEvent(row);
  for (let d = 1; d <= window; d++) {
    for (const at of [seq - d, seq + d]) {
      if (at > 0 && chainHash({ ...e, seq: at }, e.prevHash) === e.hash) {
        return { problem: TrailProblem.reordered, firstBad: seq, message: `event at seq ${seq} (${e.id}) was written as seq ${at}: events were reordered${at > seq ? ' or one before it was removed' : ''}` };
      }
    }
  }
  return { problem: TrailProblem.changed, firstBad: seq, message: `event ${seq} (${e.id}, ${e.type}) does not match its hash: its content was changed` };
}

/**
 * Event `seq` is intact but records a predecessor hash that event `seq - 1` no longer has. The usual cause
 * is an edited event whose own hash was recomputed to hide the edit: it then hashes right on its own, and
 * only its successor still remembers the original. So the predecessor is reported.
 */
export function diagnoseBrokenLink(seq: number): Diagnosis {
  return {
    problem: TrailProblem.changed,
    firstBad: seq - 1,
    message: `event ${seq} records a predecessor hash that event ${seq - 1} no longer has: event ${seq - 1} was replaced (edited and re-hashed) or events were inserted`,
  };
}
