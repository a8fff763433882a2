import { sign, verify, type KeyObject } from 'node:crypto';
import { asc, desc, gt, lte, and, max, sql } from 'drizzle-orm';
import type { Db } from '../../db';
import { auditCheckpoints, type CheckpointRow } from '../../db/schema';
import { canonicalJson, normaliseTime, readHead } from '../trail';
import type { CheckpointSigner } from './signing-key';

/** A signed statement that the chain's event `seq` has hash `hash`, naming the checkpoint before it. */
export type Checkpoint = CheckpointRow;

const CHECKPOINT_STATEMENT_TYPE = 'interlock.audit.checkpoint.v1';

/**
 * Serialises checkpoints: each names the one before it, so two signers must not both extend the same one.
 * Transaction-scoped, so a crashed holder never leaves it taken. 7_346_001 is the chain's own append lock,
 * taken in SQL by `interlock_append_audit` (migrations 0004 and 0005).
 */
const CHECKPOINT_LOCK_KEY = 7_346_002;

/**
 * The bytes that are signed: UTF-8 of the RFC 8785 canonical JSON of
 * {type, id, seq, hash, at, prevCheckpointId, prevSignature, keyId}. Naming the previous checkpoint's id
 * and signature makes the checkpoints a chain of their own (as CloudTrail digest files are), so one
 * cannot be removed or slipped in between without breaking the next signature.
 */
export function checkpointStatement(cp: Omit<Checkpoint, 'signature'>): Buffer {
  return Buffer.from(
    canonicalJson({
      type: CHECKPOINT_STATEMENT_TYPE,
      id: cp.id,
      seq: cp.seq,
      hash: cp.hash,
      at: normaliseTime(cp.at),
      prevCheckpointId: cp.prevCheckpointId,
      prevSignature: cp.prevSignature,
      keyId: cp.keyId,
    }),
  );
}

export function signatureValid(cp: Checkpoint, publicKey: KeyObject): boolean {
  return verify(null, checkpointStatement(cp), publicKey, Buffer.from(cp.signature, 'base64'));
}

/**
 * Signs the chain's current head. Under an advisory lock, so two processes checkpointing at once take
 * turns and each extends the latest checkpoint (the primary key on `id` would refuse a fork anyway).
 * With `onlyIfMoved`, returns null when the head is the one the latest checkpoint already signed.
 */
export async function createCheckpoint(db: Db, signer: CheckpointSigner, opts: { onlyIfMoved?: boolean } = {}): Promise<Checkpoint | null> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${CHECKPOINT_LOCK_KEY})`);
    const [last] = await tx.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.id)).limit(1);
    const head = await readHead(tx);
    const seq = head.seq;
    if (opts.onlyIfMoved && seq === (last?.seq ?? 0)) return null;
    // Never earlier than the previous checkpoint, even when this host's clock is behind the last signer's.
    const at = new Date(Math.max(Date.now(), last ? Date.parse(normaliseTime(last.at)) : 0)).toISOString();
    const unsigned = { id: (last?.id ?? 0) + 1, seq, hash: head.hash, at, prevCheckpointId: last?.id ?? null, prevSignature: last?.signature ?? null, keyId: signer.keyId };
    const checkpoint: Checkpoint = { ...unsigned, signature: sign(null, checkpointStatement(unsigned), signer.privateKey).toString('base64') };
    await tx.insert(auditCheckpoints).values(checkpoint);
    return checkpoint;
  });
}

export async function lastCheckpointId(db: Db): Promise<number> {
  const [row] = await db.select({ id: max(auditCheckpoints.id) }).from(auditCheckpoints);
  return Number(row?.id ?? 0);
}

/** Checkpoints with id in (afterId, upToId], in order, one page. */
export async function checkpointPage(db: Db, afterId: number, upToId: number, limit: number): Promise<Checkpoint[]> {
  const rows = await db.select().from(auditCheckpoints).where(and(gt(auditCheckpoints.id, afterId), lte(auditCheckpoints.id, upToId))).orderBy(asc(auditCheckpoints.id)).limit(limit);
  return rows.map(toCheckpoint);
}

export function toCheckpoint(row: CheckpointRow): Checkpoint {
  return { ...row, at: normaliseTime(row.at) };
}
