import type { Db } from '../db';
import { chainHash, GENESIS_HASH } from './chain';
import { streamAuditEvents } from './query';

export const ChainProblem = {
  changed: 'changed',
  missing: 'missing',
  reordered: 'reordered',
  brokenLink: 'broken_link',
} as const;
export type ChainProblem = (typeof ChainProblem)[keyof typeof ChainProblem];

export interface ChainVerification {
  ok: boolean;
  count: number;
  head: string;
  firstBad: number | null;
  problem: ChainProblem | null;
  message: string;
}

/**
 * Recomputes the chain from the first event, streaming. A gap in seq is a missing event; an event whose
 * own hash no longer matches its fields was changed; one whose hash is right but whose prevHash is not its
 * predecessor's was moved (reordered) or follows a removed event.
 */
export async function verifyChain(db: Db, opts: { onProgress?: (count: number) => void } = {}): Promise<ChainVerification> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let count = 0;
  for await (const e of streamAuditEvents(db)) {
    const bad = (problem: ChainProblem, message: string): ChainVerification => ({ ok: false, count, head: prevHash, firstBad: e.seq, problem, message });
    if (e.seq !== expectedSeq) return bad(ChainProblem.missing, `event seq ${expectedSeq} is missing (next present is ${e.seq})`);
    const ownHash = chainHash(e, e.prevHash);
    if (ownHash !== e.hash) {
      const writtenAt = originalSeq(e);
      if (writtenAt !== null) return bad(ChainProblem.reordered, `event at seq ${e.seq} (${e.id}) was written as seq ${writtenAt}: events were reordered`);
      return bad(ChainProblem.changed, `event ${e.seq} (${e.id}) does not match its hash: its content was changed`);
    }
    if (e.prevHash !== prevHash) {
      return bad(ChainProblem.reordered, `event ${e.seq} (${e.id}) does not follow event ${e.seq - 1}: events were reordered or replaced`);
    }
    prevHash = e.hash;
    count += 1;
    expectedSeq += 1;
    if (count % 100_000 === 0) opts.onProgress?.(count);
  }
  return { ok: true, count, head: prevHash, firstBad: null, problem: null, message: `${count} events verified` };
}

/** An intact event moved to another position still hashes correctly at the seq it was written with. */
function originalSeq(e: Parameters<typeof chainHash>[0] & { prevHash: string; hash: string }, window = 1000): number | null {
  for (let d = 1; d <= window; d++) {
    for (const seq of [e.seq - d, e.seq + d]) if (seq > 0 && chainHash({ ...e, seq }, e.prevHash) === e.hash) return seq;
  }
  return null;
}
