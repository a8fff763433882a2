import { and, asc, gt, lte, sql } from 'drizzle-orm';
import pg from 'pg';
import type { Db } from '../db';
import { auditEvents } from '../db/schema';
import { BinaryCopyReader } from './binary-copy';
import { canonicalJson } from './canonical-json';
import { eventBody, linkHash, normaliseTime } from './chain';
import { copyOut } from './copy-out';
import { LINK_COLUMNS, LINK_FIELD, LinkHasher, readInt64, sameText } from './link-hasher';

/** One stored event as the verifier sees it. Valid only during the visit: the reader reuses it. */
export interface ChainLink {
  seq: number;
  /** SHA-256(prevHash as stored, "\n", JCS of the stored fields) equals the stored hash. */
  intact: boolean;
  /** Its stored prevHash is the stored hash of the event visited before it (or the start hash). */
  follows: boolean;
  /** The stored hash, made into a string only when asked. */
  hash(): string;
  prevHash(): string;
}

/** `visit` is called in seq order, synchronously; returning false stops the read before that event counts. */
export type LinkVisitor = (link: ChainLink) => boolean;

/**
 * Reads events with seq in (after, upTo], the first expected to follow `startHash`, and returns the hash
 * of the last event `visit` accepted. On node-postgres it streams a binary COPY and hashes the bytes as
 * they arrive (Postgres produces the next rows while this process hashes); elsewhere (PGlite) it reads
 * pages through drizzle. Either way memory holds one page or one socket chunk, never the chain.
 */
export async function readChainLinks(db: Db, range: { after: number; upTo: number; startHash: string }, visit: LinkVisitor): Promise<string> {
  if (!Number.isSafeInteger(range.after) || !Number.isSafeInteger(range.upTo)) throw new RangeError('seq bounds must be integers');
  const client = (db as unknown as { $client?: unknown }).$client;
  if (client instanceof pg.Pool) return readByCopy(client, range, visit);
  return readByPages(db, range, visit);
}

async function readByCopy(pool: pg.Pool, { after, upTo, startHash }: { after: number; upTo: number; startHash: string }, visit: LinkVisitor): Promise<string> {
  const hasher = new LinkHasher();
  let last = startHash; // the accepted predecessor's hash: for an intact row, the digest just computed
  let stopped = false;
  let buf: Buffer = Buffer.alloc(0);
  let fields: Int32Array = new Int32Array(2 * LINK_COLUMNS.length);
  const text = (f: number) => buf.toString('latin1', fields[2 * f], fields[2 * f] + Math.max(fields[2 * f + 1], 0));
  const link: ChainLink = { seq: 0, intact: false, follows: false, hash: () => text(LINK_FIELD.hash), prevHash: () => text(LINK_FIELD.prevHash) };
  const reader = new BinaryCopyReader(LINK_COLUMNS.length, (rowBuf, rowFields) => {
    if (stopped) return;
    buf = rowBuf;
    fields = rowFields;
    const seq = hasher.seq(buf, fields);
    link.seq = seq;
    const fast = hasher.intact(buf, fields, seq);
    link.intact = fast || recheck(decodeRow(buf, fields, seq));
    link.follows = sameText(buf, fields[2 * LINK_FIELD.prevHash], fields[2 * LINK_FIELD.prevHash + 1], last);
    if (!visit(link)) return void (stopped = true);
    last = fast ? hasher.digest : text(LINK_FIELD.hash);
  });
  const conn = await pool.connect();
  try {
    const query = `copy (select ${LINK_COLUMNS.join(', ')} from audit_events where seq > ${after} and seq <= ${upTo} order by seq) to stdout (format binary)`;
    await copyOut(conn, query, (chunk) => reader.push(chunk));
  } finally {
    conn.release();
  }
  return last;
}

async function readByPages(db: Db, { after, upTo, startHash }: { after: number; upTo: number; startHash: string }, visit: LinkVisitor, pageSize = 2000): Promise<string> {
  let last = startHash;
  for (;;) {
    const rows = await db
      .select({ seq: auditEvents.seq, id: auditEvents.id, actionId: auditEvents.actionId, type: auditEvents.type, actor: auditEvents.actor, at: auditEvents.at, dataText: sql<string>`${auditEvents.data}::text`, policyVersion: auditEvents.policyVersion, prevHash: auditEvents.prevHash, hash: auditEvents.hash })
      .from(auditEvents)
      .where(and(gt(auditEvents.seq, after), lte(auditEvents.seq, upTo)))
      .orderBy(asc(auditEvents.seq))
      .limit(pageSize);
    for (const row of rows) {
      const stored = { ...row, at: normaliseTime(row.at) };
      const intact = linkHash(row.prevHash, eventBody(stored, row.dataText)) === row.hash || recheck(stored);
      if (!visit({ seq: row.seq, intact, follows: row.prevHash === last, hash: () => row.hash, prevHash: () => row.prevHash })) return last;
      last = row.hash;
    }
    if (rows.length < pageSize) return last;
    after = rows[rows.length - 1].seq;
  }
}

interface StoredRow {
  seq: number;
  id: string;
  actionId: string | null;
  type: string;
  actor: string;
  at: string;
  dataText: string;
  policyVersion: string | null;
  prevHash: string;
  hash: string;
}

/** Stored data that is valid JSON but not in canonical form (older rows) still counts if its canonical form hashes right. */
function recheck(row: StoredRow): boolean {
  try {
    return linkHash(row.prevHash, eventBody(row, canonicalJson(JSON.parse(row.dataText)))) === row.hash;
  } catch {
    return false;
  }
}

function decodeRow(buf: Buffer, fields: Int32Array, seq: number): StoredRow {
  const text = (i: number) => (fields[2 * i + 1] < 0 ? null : buf.toString('utf8', fields[2 * i], fields[2 * i] + fields[2 * i + 1]));
  const micros = readInt64(buf, fields[10]);
  return {
    seq,
    id: text(1)!,
    actionId: text(2),
    type: text(3)!,
    actor: text(4)!,
    at: new Date(Math.floor(micros / 1000) + Date.UTC(2000, 0, 1)).toISOString(),
    dataText: text(6)!,
    policyVersion: text(7),
    prevHash: text(8)!,
    hash: text(9)!,
  };
}
