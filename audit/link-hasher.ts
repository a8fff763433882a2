import { hash } from 'node:crypto';

/** Column order of the verifier's COPY; `LinkHasher` reads fields by these positions. */
export const LINK_COLUMNS = ['seq', 'id', 'action_id', 'type', 'actor', 'at', 'data', 'policy_version', 'prev_hash', 'hash'] as const;
const SEQ = 0, ID = 1, ACTION_ID = 2, TYPE = 3, ACTOR = 4, AT = 5, DATA = 6, POLICY_VERSION = 7, PREV_HASH = 8, HASH = 9;

const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);
const DAY_MS = 86_400_000;
const YEAR_10000_MS = Date.UTC(10000, 0, 1);
const bytes = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));
const ACTION_ID_KEY = bytes('\n{"actionId":');
const ACTOR_KEY = bytes(',"actor":');
const AT_KEY = bytes(',"at":"');
const DATA_KEY = bytes('","data":');
const ID_KEY = bytes(',"id":');
const POLICY_VERSION_KEY = bytes(',"policyVersion":');
const SEQ_KEY = bytes(',"seq":');
const TYPE_KEY = bytes(',"type":');
const NULL = bytes('null');
/** How JSON.stringify writes each byte inside a string: 0 as itself, else a backslash and this letter (u: \u00XX). */
const ESCAPE = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) ESCAPE[b] = 0x75;
for (const [b, c] of [[0x22, 0x22], [0x5c, 0x5c], [0x08, 0x62], [0x09, 0x74], [0x0a, 0x6e], [0x0c, 0x66], [0x0d, 0x72]]) ESCAPE[b] = c;
const HEX = bytes('0123456789abcdef');

/**
 * Recomputes one event's chain hash from the bytes of a binary COPY row, without decoding it into strings
 * or objects: prevHash, "\n", then the JCS text of the event, assembled in a reused buffer. JCS orders
 * members by name, so the text is fixed pieces around the fields; strings are escaped exactly as
 * JSON.stringify escapes them, and `data` is copied as stored, since the writer stores the canonical text
 * it hashed. A row whose stored data is not canonical (written before migration 0002) does not match here
 * and is re-checked by the caller on the slow path: it never passes by mistake, it only costs time.
 * Hand-written loops replace Buffer.copy and TypedArray.set for short runs, whose per-call cost dominates.
 */
export class LinkHasher {
  private out = new Uint8Array(64 * 1024);
  private pos = 0;
  private dayStart = NaN;
  private dayPrefix = new Uint8Array(11);
  /** The hash `intact` computed last, so the next row's prevHash can be compared with it without a copy. */
  digest = '';

  /** The row's seq, from its 8-byte big-endian integer. */
  seq(buf: Buffer, fields: Int32Array): number {
    return readInt64(buf, fields[2 * SEQ]);
  }

  /** Whether the row's own fields and stored prevHash hash to its stored hash. */
  intact(buf: Buffer, fields: Int32Array, seq: number): boolean {
    const dataLen = fields[2 * DATA + 1];
    // Escaping at most sextuples a byte; the row's span bounds every field together.
    const need = 256 + 6 * (fields[2 * HASH] - fields[2 * SEQ]);
    if (need > this.out.length) this.out = new Uint8Array(need * 2);
    this.pos = 0;
    this.raw(buf, fields[2 * PREV_HASH], fields[2 * PREV_HASH + 1]);
    this.piece(ACTION_ID_KEY);
    this.jsonString(buf, fields[2 * ACTION_ID], fields[2 * ACTION_ID + 1]);
    this.piece(ACTOR_KEY);
    this.jsonString(buf, fields[2 * ACTOR], fields[2 * ACTOR + 1]);
    this.piece(AT_KEY);
    this.isoTime(Math.floor(readInt64(buf, fields[2 * AT]) / 1000) + POSTGRES_EPOCH_MS);
    this.piece(DATA_KEY);
    if (dataLen > 0) this.pos += buf.copy(this.out, this.pos, fields[2 * DATA], fields[2 * DATA] + dataLen);
    this.piece(ID_KEY);
    this.jsonString(buf, fields[2 * ID], fields[2 * ID + 1]);
    this.piece(POLICY_VERSION_KEY);
    this.jsonString(buf, fields[2 * POLICY_VERSION], fields[2 * POLICY_VERSION + 1]);
    this.piece(SEQ_KEY);
    this.decimal(seq);
    this.piece(TYPE_KEY);
    this.jsonString(buf, fields[2 * TYPE], fields[2 * TYPE + 1]);
    this.out[this.pos++] = 0x7d; // }
    this.digest = hash('sha256', this.out.subarray(0, this.pos), 'hex');
    return sameText(buf, fields[2 * HASH], fields[2 * HASH + 1], this.digest);
  }

  private piece(p: Uint8Array): void {
    const out = this.out;
    let pos = this.pos;
    for (let i = 0; i < p.length; i++) out[pos++] = p[i];
    this.pos = pos;
  }

  private raw(buf: Buffer, start: number, len: number): void {
    if (len <= 0) return;
    if (len > 64) {
      this.pos += buf.copy(this.out, this.pos, start, start + len);
      return;
    }
    const out = this.out;
    let pos = this.pos;
    for (let i = start, end = start + len; i < end; i++) out[pos++] = buf[i];
    this.pos = pos;
  }

  /** A JSON string of UTF-8 bytes, escaped as JSON.stringify escapes (quote, backslash, controls); NULL is null. */
  private jsonString(buf: Buffer, start: number, len: number): void {
    if (len < 0) return this.piece(NULL);
    const out = this.out;
    let pos = this.pos;
    out[pos++] = 0x22;
    for (let i = start, end = start + len; i < end; i++) {
      const b = buf[i];
      const escape = ESCAPE[b];
      if (escape === 0) {
        out[pos++] = b;
      } else if (escape !== 0x75) {
        out[pos++] = 0x5c;
        out[pos++] = escape;
      } else {
        out[pos++] = 0x5c;
        out[pos++] = 0x75;
        out[pos++] = 0x30;
        out[pos++] = 0x30;
        out[pos++] = HEX[b >> 4];
        out[pos++] = HEX[b & 15];
      }
    }
    out[pos++] = 0x22;
    this.pos = pos;
  }

  /** Date.prototype.toISOString's text, written digit by digit; the date part is computed once a day. */
  private isoTime(ms: number): void {
    if (!(ms >= this.dayStart && ms < this.dayStart + DAY_MS)) {
      if (ms < 0 || ms >= YEAR_10000_MS) return this.piece(bytes(new Date(ms).toISOString())); // extended years: rare, exact
      this.dayStart = ms - (ms % DAY_MS);
      this.dayPrefix = bytes(new Date(this.dayStart).toISOString().slice(0, 11));
    }
    this.piece(this.dayPrefix);
    let t = ms - this.dayStart;
    const milli = t % 1000;
    t = (t - milli) / 1000;
    const sec = t % 60;
    t = (t - sec) / 60;
    this.twoDigits((t - (t % 60)) / 60);
    this.out[this.pos++] = 0x3a;
    this.twoDigits(t % 60);
    this.out[this.pos++] = 0x3a;
    this.twoDigits(sec);
    this.out[this.pos++] = 0x2e;
    this.out[this.pos++] = 0x30 + ((milli / 100) | 0);
    this.twoDigits(milli % 100);
    this.out[this.pos++] = 0x5a; // Z
  }

  private twoDigits(n: number): void {
    this.out[this.pos++] = 0x30 + ((n / 10) | 0);
    this.out[this.pos++] = 0x30 + (n % 10);
  }

  private decimal(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) return this.piece(bytes(String(n)));
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits++;
    for (let i = digits - 1; i >= 0; i--) {
      this.out[this.pos + i] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    }
    this.pos += digits;
  }
}

/** Whether the bytes at buf[start, start+len) are the ASCII text `s`. */
export function sameText(buf: Buffer, start: number, len: number, s: string): boolean {
  if (len !== s.length) return false;
  for (let i = 0; i < len; i++) if (buf[start + i] !== s.charCodeAt(i)) return false;
  return true;
}

export function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 0x1_0000_0000 + buf.readUInt32BE(at + 4);
}

export const LINK_FIELD = { prevHash: PREV_HASH, hash: HASH } as const;
