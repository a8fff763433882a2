import { and, asc, gt, lte } from 'drizzle-orm';
import pg, { type PoolClient } from 'pg';
import type { Db } from '../../db';
import { auditEvents } from '../../db/schema';
import { linkHash, storedEventColumns } from '../trail';
import { BinaryCopyReader } from './binary-copy';
import { copyOut, type PayloadSink } from './copy-out';
import { LINK_FIELD_COUNT, LINK_SELECT, LinkHasher, writtenSeqOf } from './link-hasher';

/** One stored event as the verifier sees it. Valid only during the visit: the reader reuses it. */
export interface ChainLink {
  seq: number;
  /** Its stored text is well formed and names this seq. */
  intact: boolean;
  /** Its stored prevHash is the hash computed for the event visited before it (or the start hash). */
  follows: boolean;
  /** SHA-256(prevHash as stored, "\n", the stored canonical text): what the next event's prevHash must be. */
  hash(): string;
  prevHash(): string;
}

/** `visit` is called in seq order, synchronously; returning false stops the read before that event counts. */
export type LinkVisitor = (link: ChainLink) => boolean;

/**
 * Reads events with seq in (after, upTo], the first expected to follow `startHash`, and returns the hash,
 * computed here, of the last event `visit` accepted. On node-postgres it streams a binary COPY and hashes the bytes as
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
  let fields: Int32Array = new Int32Array(2 * LINK_FIELD_COUNT);
  const link: ChainLink = { seq: 0, intact: false, follows: false, hash: () => hasher.digest, prevHash: () => hasher.prevHash(buf, fields) };
  const reader = new BinaryCopyReader(LINK_FIELD_COUNT, (rowBuf, rowFields) => {
    if (stopped) return;
    buf = rowBuf;
    fields = rowFields;
    const seq = hasher.seq(buf, fields);
    link.seq = seq;
    link.intact = hasher.intact(buf, fields, seq);
    link.follows = hasher.follows(buf, fields, last);
    if (!visit(link)) return void (stopped = true);
    last = hasher.digest;
  });
  const conn = await pool.connect();
  let failed = false;
  try {
    await copyLinkRange(conn, { after, upTo }, (chunk, start, end) => reader.push(chunk, start, end));
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    conn.release(failed); // after a failed COPY the connection's state is unknown: close it rather than reuse it
  }
  return last;
}

/** Streams the binary COPY of seq and hashed bytes for seq in (after, upTo], in seq order, into `sink`. */
export async function copyLinkRange(conn: PoolClient, { after, upTo }: { after: number; upTo: number }, sink: PayloadSink): Promise<void> {
  // The scan of a long range crosses the JIT cost threshold; compiling it wins nothing back. Off, for this transaction only.
  await conn.query('begin read only');
  await conn.query('set local jit = off');
  await copyOut(conn, `copy (select ${LINK_SELECT} from audit_events where seq > ${after} and seq <= ${upTo} order by seq) to stdout (format binary)`, sink);
  await conn.query('commit');
}

async function readByPages(db: Db, { after, upTo, startHash }: { after: number; upTo: number; startHash: string }, visit: LinkVisitor, pageSize = 2000): Promise<string> {
  let last = startHash;
  for (;;) {
    const rows = await db
      .select(storedEventColumns)
      .from(auditEvents)
      .where(and(gt(auditEvents.seq, after), lte(auditEvents.seq, upTo)))
      .orderBy(asc(auditEvents.seq))
      .limit(pageSize);
    for (const row of rows) {
      const hash = linkHash(row.prevHash, row.canonical);
      if (!visit({ seq: row.seq, intact: writtenSeqOf(row.canonical) === row.seq, follows: row.prevHash === last, hash: () => hash, prevHash: () => row.prevHash })) return last;
      last = hash;
    }
    if (rows.length < pageSize) return last;
    after = rows[rows.length - 1].seq;
  }
}

