import type { Db } from '../../db';
import { readChainLinks } from './chain-links';

/** A slice of the chain to check on its own: seq in (after, upTo], noting the computed hash at `hashesAt`. */
export interface SeqRange {
  after: number;
  upTo: number;
  /** Seqs whose hash the caller wants back (those signed by checkpoints). */
  hashesAt: number[];
}

/** Where a range scan stopped short, at the first event that is not in order and intact. */
export type RangeStop = { kind: 'missing'; seq: number; next: number | null } | { kind: 'broken'; seq: number } | { kind: 'unlinked'; seq: number };

/**
 * What one range holds, checked without knowing the events before it: the verifier joins ranges by
 * comparing each one's first stored prevHash with the hash the range before ended on (computed there). So ranges can be
 * checked in any order, or in parallel, and still give the answer a single pass would.
 */
export interface RangeScan {
  after: number;
  upTo: number;
  /** Events accepted from seq after+1 on: consecutive, intact, each following the one before. */
  count: number;
  /** The stored prevHash of event after+1, when it is present and intact. */
  firstPrevHash: string | null;
  /** The computed hash of the last accepted event (null when none was). */
  lastHash: string | null;
  stop: RangeStop | null;
  /** Computed hash at each requested seq that was accepted. */
  hashes: Record<number, string>;
}

/** Checks one range; the default reads it in this process, `parallelScanner` in worker threads. */
export type RangeScanner = { scan(range: SeqRange): Promise<RangeScan>; concurrency: number; close(): Promise<void> };

export async function scanRange(db: Db, range: SeqRange): Promise<RangeScan> {
  const wanted = new Set(range.hashesAt);
  const scan: RangeScan = { after: range.after, upTo: range.upTo, count: 0, firstPrevHash: null, lastHash: null, stop: null, hashes: {} };
  const lastHash = await readChainLinks(db, { after: range.after, upTo: range.upTo, startHash: '' }, (link) => {
    const expected = range.after + scan.count + 1;
    if (link.seq !== expected) scan.stop = { kind: 'missing', seq: expected, next: link.seq };
    else if (!link.intact) scan.stop = { kind: 'broken', seq: link.seq };
    else if (scan.count > 0 && !link.follows) scan.stop = { kind: 'unlinked', seq: link.seq };
    if (scan.stop) return false;
    if (scan.count === 0) scan.firstPrevHash = link.prevHash();
    if (wanted.has(link.seq)) scan.hashes[link.seq] = link.hash();
    scan.count += 1;
    return true;
  });
  if (scan.count > 0) scan.lastHash = lastHash;
  if (!scan.stop && range.after + scan.count < range.upTo) scan.stop = { kind: 'missing', seq: range.after + scan.count + 1, next: null };
  return scan;
}
