const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * Splits a `COPY ... (FORMAT binary)` stream into tuples: after an 11-byte signature, two int32 header
 * fields and an extension area, each tuple is an int16 field count followed, per field, by an int32
 * length (-1 for NULL) and that many bytes; a count of -1 ends the stream. Postgres sends one tuple per
 * CopyData message, so a tuple is normally parsed in place, in the buffer it arrived in; one split across
 * chunks is reassembled.
 */
export class BinaryCopyReader {
  /** [start, length] per field of the current tuple, offsets into the buffer passed to `onTuple`. */
  readonly fields: Int32Array;
  private carry: Buffer | null = null;
  private headerDone = false;
  ended = false;

  constructor(private readonly fieldCount: number, private readonly onTuple: (buf: Buffer, fields: Int32Array) => void) {
    this.fields = new Int32Array(fieldCount * 2);
  }

  /** Takes the next bytes of the stream, [start, end) of `chunk`; complete tuples are parsed where they lie. */
  push(chunk: Buffer, start = 0, end = chunk.length): void {
    let buf = chunk;
    let pos = start;
    let limit = end;
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk.subarray(start, end)]);
      this.carry = null;
      pos = 0;
      limit = buf.length;
    }
    if (!this.headerDone) {
      if (limit - pos < 19) return void (this.carry = Buffer.from(buf.subarray(pos, limit)));
      if (!buf.subarray(pos, pos + 11).equals(SIGNATURE)) throw new Error('not a binary COPY stream');
      const headerEnd = pos + 19 + buf.readInt32BE(pos + 15); // the header extension area, empty today
      if (headerEnd > limit) return void (this.carry = Buffer.from(buf.subarray(pos, limit)));
      pos = headerEnd;
      this.headerDone = true;
    }
    while (pos < limit) {
      const next = this.tupleEnd(buf, pos, limit);
      if (next === -1) return void (this.carry = Buffer.from(buf.subarray(pos, limit)));
      if (this.ended) return;
      this.onTuple(buf, this.fields);
      pos = next;
    }
  }

  /** Fills `fields` and returns the offset after the tuple, or -1 when it is not complete in `buf`. */
  private tupleEnd(buf: Buffer, pos: number, limit: number): number {
    if (pos + 2 > limit) return -1;
    const count = buf.readInt16BE(pos);
    if (count === -1) {
      this.ended = true;
      return pos + 2;
    }
    if (count !== this.fieldCount) throw new Error(`expected ${this.fieldCount} fields per row, got ${count}`);
    let p = pos + 2;
    for (let i = 0; i < count; i++) {
      if (p + 4 > limit) return -1;
      const len = buf.readInt32BE(p);
      p += 4;
      this.fields[2 * i] = p;
      this.fields[2 * i + 1] = len;
      if (len > 0) p += len;
      if (p > limit) return -1;
    }
    return p;
  }
}
