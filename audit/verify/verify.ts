import type { KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { and, desc, eq, lt, lte, max, sql } from 'drizzle-orm';
import type { Db } from '../../db';
import { auditCheckpoints, auditEvents } from '../../db/schema';
import { lastCheckpointId, toCheckpoint, type Checkpoint } from '../checkpoint';
import { GENESIS_HASH, storedEventColumns, toEvent } from '../trail';
import { CheckpointTrack, type CheckpointFinding } from './checkpoint-track';
import { diagnoseBrokenEvent, diagnoseBrokenLink, type Diagnosis } from './diagnose';
import { parallelScanner } from './parallel-scan';
import { TrailProblem } from './problems';
import { scanRange, type RangeScan, type RangeScanner, type SeqRange } from './range-scan';

export interface TrailVerification {
  ok: boolean;
  /** Events verified, from seq 1, before the first problem (all of them when ok). */
  count: number;
  /** The hash of the last verified event (the genesis hash for an empty chain). */
  head: string;
  firstBad: number | null;
  problem: TrailProblem | null;
  message: string;
  checkpoints: {
    /** Checkpoints whose signature verified and whose hash the chain still has. */
    verified: number;
    /** The last of those: the signed statement the verified chain ends on. */
    latest: Pick<Checkpoint, 'id' | 'seq' | 'hash' | 'at' | 'keyId' | 'signature'> | null;
    /** Verified events after the latest checkpoint: covered by the chain only, not yet by a signature. */
    unsignedEvents: number;
  };
}

export interface VerifyOptions {
  /** Public keys by key id (`auditKeys(config).verifiers`); none means checkpoints cannot be checked. */
  verifiers?: Map<string, KeyObject>;
  onProgress?: (count: number) => void;
  /** Events per range; a failure stops the run at the end of the ranges in flight. */
  rangeSize?: number;
  /** Scan in worker threads (node-postgres only) when the chain has at least `minEvents` events. */
  parallel?: { databaseUrl: string; workers?: number; minEvents?: number };
}

/**
 * Recomputes the whole chain from seq 1 and checks every signed checkpoint against it, in bounded memory
 * (a range at a time per scanner, and the checkpoints of the ranges in flight). The bounds are fixed first
 * (checkpoints, then head), so events and checkpoints written meanwhile are left for the next run rather
 * than mistaken for damage. Ranges are joined in order: each must start from the hash the last one ended on.
 */
export async function verifyTrail(db: Db, opts: VerifyOptions = {}): Promise<TrailVerification> {
  const upToCheckpoint = await lastCheckpointId(db);
  const [{ head: headSeq }] = await db.select({ head: max(auditEvents.seq) }).from(auditEvents);
  const lastSeq = Number(headSeq ?? 0);
  const track = new CheckpointTrack(db, upToCheckpoint, opts.verifiers ?? new Map());
  const size = opts.rangeSize ?? 50_000;
  // A COPY stream keeps one core busy in Postgres and one hashing here, so with Postgres on this machine
  // more streams only pay off from four cores on; and worker threads take most of a second to start, which
  // only a long chain earns back (docs/BENCHMARKS.md has both figures).
  const workers = Math.min(opts.parallel?.workers ?? Math.floor(availableParallelism() / 2), 8);
  const useWorkers = opts.parallel && workers > 1 && lastSeq >= (opts.parallel.minEvents ?? 200_000);
  const scanner: RangeScanner = useWorkers ? await parallelScanner({ databaseUrl: opts.parallel!.databaseUrl, workers }) : { scan: (r: SeqRange) => scanRange(db, r), concurrency: 1, close: async () => {} };

  let count = 0;
  let prevHash = GENESIS_HASH;
  let verified = 0;
  let latest: Checkpoint | null = null;
  let failure: (Diagnosis & { checkpointId?: number }) | null = null;

  /** Checkpoints due by now must name the hash the chain has at their seq; returns the first that does not. */
  const matchCheckpoints = (due: CheckpointFinding[], hashAt: (seq: number) => string | undefined): (Diagnosis & { checkpointId?: number }) | null => {
    for (const { checkpoint: cp, problem } of due) {
      if (problem) return { ...problem, firstBad: cp.seq, checkpointId: cp.id };
      const hash = hashAt(cp.seq);
      if (hash === undefined) return { problem: TrailProblem.checkpointChainBroken, firstBad: cp.seq, checkpointId: cp.id, message: `checkpoint #${cp.id} names seq ${cp.seq}, which the chain skipped` };
      if (cp.hash !== hash) {
        const since = latest ? `after checkpoint #${latest.id} (seq ${latest.seq})` : 'from the start';
        return { problem: TrailProblem.checkpointMismatch, firstBad: cp.seq, checkpointId: cp.id, message: `checkpoint #${cp.id} signed hash ${cp.hash.slice(0, 12)}… for seq ${cp.seq}, the chain now has ${hash.slice(0, 12)}…: events ${since} up to ${cp.seq} were rewritten and re-hashed` };
      }
      verified += 1;
      latest = cp;
    }
    return null;
  };

  /** Adds one range to the verified prefix, or returns what stops it. */
  const join = async (scan: RangeScan): Promise<Diagnosis | null> => {
    if (scan.count > 0 && scan.firstPrevHash !== prevHash) return diagnoseBrokenLink(scan.after + 1);
    const bad = matchCheckpoints(track.takeThrough(scan.after + scan.count), (seq) => scan.hashes[seq]);
    if (bad) return bad;
    count += scan.count;
    if (scan.lastHash !== null) prevHash = scan.lastHash;
    const stop = scan.stop;
    if (!stop) return null;
    if (stop.kind === 'broken') return diagnoseBrokenEvent(db, stop.seq);
    if (stop.kind === 'unlinked') return diagnoseBrokenLink(stop.seq);
    const through = stop.next === null ? scan.upTo : stop.next - 1;
    return { problem: TrailProblem.missing, firstBad: stop.seq, message: `event ${stop.seq}${through > stop.seq ? `..${through}` : ''} is missing${stop.next ? ` (the next present is ${stop.next})` : ''}: events were removed` };
  };

  await track.loadThrough(0);
  failure = matchCheckpoints(track.takeThrough(0), (seq) => (seq === 0 ? GENESIS_HASH : undefined));
  const inFlight: Promise<RangeScan>[] = [];
  let next = 0;
  const dispatch = async () => {
    const range = { after: next, upTo: Math.min(next + size, lastSeq) };
    next = range.upTo;
    await track.loadThrough(range.upTo);
    inFlight.push(scanner.scan({ ...range, hashesAt: track.seqsIn(range.after, range.upTo) }));
  };
  try {
    while (!failure && (next < lastSeq || inFlight.length > 0)) {
      while (next < lastSeq && inFlight.length < Math.max(1, scanner.concurrency)) await dispatch();
      failure = await join(await inFlight.shift()!);
      opts.onProgress?.(count);
    }
    await Promise.allSettled(inFlight);
  } finally {
    await scanner.close();
  }
  if (!failure) {
    // A signed checkpoint beyond the last event proves the tail was cut off.
    await track.loadThrough(Number.MAX_SAFE_INTEGER);
    const beyond = track.peek();
    if (beyond?.problem) failure = { ...beyond.problem, firstBad: beyond.checkpoint.seq, checkpointId: beyond.checkpoint.id };
    else if (beyond) failure = { problem: TrailProblem.missing, firstBad: count + 1, message: `checkpoint #${beyond.checkpoint.id} signed seq ${beyond.checkpoint.seq} but the chain ends at ${count}: events ${count + 1}..${beyond.checkpoint.seq} were removed` };
  }
  if (failure) ({ count, head: prevHash, latest, verified } = await verifiedBefore(db, failure.firstBad, failure.checkpointId ?? upToCheckpoint + 1));
  const last = latest as Checkpoint | null;
  return {
    ok: failure === null,
    count,
    head: prevHash,
    firstBad: failure?.firstBad ?? null,
    problem: failure?.problem ?? null,
    message: failure?.message ?? `${count} events verified${last ? `; they end under checkpoint #${last.id} (seq ${last.seq}); ${verified} checkpoint${verified === 1 ? '' : 's'} verified` : '; no signed checkpoint yet'}`,
    checkpoints: {
      verified,
      latest: last ? { id: last.id, seq: last.seq, hash: last.hash, at: last.at, keyId: last.keyId, signature: last.signature } : null,
      unsignedEvents: count - (last?.seq ?? 0),
    },
  };
}

/**
 * What a failure leaves verified, the same however the chain was split into ranges: the events before
 * `firstBad`, and the checkpoints before the failing one that sign no later seq.
 */
async function verifiedBefore(db: Db, firstBad: number, beforeCheckpointId: number): Promise<{ count: number; head: string; latest: Checkpoint | null; verified: number }> {
  const count = Math.max(firstBad - 1, 0);
  const [event] = count > 0 ? (await db.select(storedEventColumns).from(auditEvents).where(eq(auditEvents.seq, count))).map(toEvent) : [];
  const signed = and(lt(auditCheckpoints.id, beforeCheckpointId), lte(auditCheckpoints.seq, count));
  const [latest] = await db.select().from(auditCheckpoints).where(signed).orderBy(desc(auditCheckpoints.id)).limit(1);
  const [{ verified }] = await db.select({ verified: sql<number>`count(*)::int` }).from(auditCheckpoints).where(signed);
  return { count, head: event?.hash ?? GENESIS_HASH, latest: latest ? toCheckpoint(latest) : null, verified };
}
