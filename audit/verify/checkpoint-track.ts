import type { KeyObject } from 'node:crypto';
import type { Db } from '../../db';
import { checkpointPage, signatureValid, type Checkpoint } from '../checkpoint';
import { TrailProblem } from './problems';

export interface CheckpointFinding {
  checkpoint: Checkpoint;
  /** Set when the checkpoint itself is not trustworthy: reported when the chain reaches its seq. */
  problem?: { problem: TrailProblem; message: string };
}

/**
 * The signed checkpoints, read in id order a page at a time and checked on their own: each signature
 * against the configured public key, each naming the one before (id and signature), ids without a gap,
 * seq and time never going back. The verifier matches each against the chain when it reaches its seq.
 */
export class CheckpointTrack {
  private pending: CheckpointFinding[] = [];
  private afterId = 0;
  private exhausted = false;
  private prev: Checkpoint | null = null;

  constructor(private readonly db: Db, private readonly upToId: number, private readonly verifiers: Map<string, KeyObject>) {}

  /** Loads checkpoints until one beyond `seq` is known (or none are left). */
  async loadThrough(seq: number, pageSize = 1000): Promise<void> {
    while (!this.exhausted && (this.pending.length === 0 || this.pending[this.pending.length - 1].checkpoint.seq <= seq)) {
      const page = await checkpointPage(this.db, this.afterId, this.upToId, pageSize);
      for (const cp of page) this.pending.push({ checkpoint: cp, problem: this.examine(cp) });
      if (page.length < pageSize) this.exhausted = true;
      if (page.length > 0) this.afterId = page[page.length - 1].id;
    }
  }

  /** Removes and returns the checkpoints at or before `seq`, in order. */
  takeThrough(seq: number): CheckpointFinding[] {
    let n = 0;
    while (n < this.pending.length && this.pending[n].checkpoint.seq <= seq) n++;
    return n === 0 ? [] : this.pending.splice(0, n);
  }

  /** Seqs in (after, upTo] that loaded checkpoints sign. */
  seqsIn(after: number, upTo: number): number[] {
    return this.pending.filter((f) => f.checkpoint.seq > after && f.checkpoint.seq <= upTo).map((f) => f.checkpoint.seq);
  }

  /** The next checkpoint not yet taken. */
  peek(): CheckpointFinding | undefined {
    return this.pending[0];
  }

  /** A signature problem is the more telling one (a forgery), so it is checked before the links. */
  private examine(cp: Checkpoint): CheckpointFinding['problem'] {
    const prev = this.prev;
    this.prev = cp;
    if (this.verifiers.size === 0) {
      return { problem: TrailProblem.checkpointUnverifiable, message: 'checkpoints exist but no public key is configured: set INTERLOCK_AUDIT_PUBLIC_KEY (`npx interlock audit public-key` on the signing host prints it)' };
    }
    const key = this.verifiers.get(cp.keyId);
    if (!key) return { problem: TrailProblem.checkpointSignatureInvalid, message: `checkpoint #${cp.id} names key ${cp.keyId}, which is not the configured public key (${[...this.verifiers.keys()].join(', ')})` };
    if (!signatureValid(cp, key)) return { problem: TrailProblem.checkpointSignatureInvalid, message: `checkpoint #${cp.id} (seq ${cp.seq}) has a signature that does not verify with key ${cp.keyId}: it was forged or altered` };
    const expectedId = (prev?.id ?? 0) + 1;
    const broken = (message: string) => ({ problem: TrailProblem.checkpointChainBroken, message });
    if (cp.id !== expectedId) return broken(`checkpoint #${expectedId} is missing (the next present is #${cp.id}): checkpoints were removed`);
    if (cp.prevCheckpointId !== (prev?.id ?? null) || cp.prevSignature !== (prev?.signature ?? null)) {
      return broken(`checkpoint #${cp.id} does not name checkpoint #${prev?.id ?? 'none'} and its signature as its predecessor: the checkpoint chain was altered`);
    }
    if (prev && (cp.seq < prev.seq || cp.at < prev.at)) return broken(`checkpoint #${cp.id} goes back in seq or time from #${prev.id}`);
    return undefined;
  }
}
