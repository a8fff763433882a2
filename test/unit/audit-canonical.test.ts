import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import canonicalize from 'canonicalize';
import { BinaryCopyReader, canonicalJson, chainHash, eventBody, GENESIS_HASH, LINK_FIELD_COUNT, LinkHasher, toJsonValue, writtenSeqOf } from '../../audit';
import type { AuditEvent } from '../../domain/audit-event';
import { seededRandom as random } from '../support/random';

const CHARS = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\r', '\b', '\f', '\u0000', '\u001f', '\u007f', 'é', 'ß', '€', '中', '\u2028', '😀', '\ud83d\ude00', 'Ω', '\ufeff', ':', ','];
const NUMBERS = [0, -0, 1, -1, 42, 1.5, -2.25, 0.1, 1e-7, 1.23e-10, 1e21, 1e300, -1e-300, 123456789012345680000, 2 ** 53, 2 ** 53 + 2, 5e-324, 0.000001, 333333333.33333329, 1 / 3, Number.MAX_VALUE, Number.MIN_VALUE];

function string(r: () => number, max = 12): string {
  let s = '';
  for (let n = Math.floor(r() * max); n > 0; n--) s += CHARS[Math.floor(r() * CHARS.length)];
  return s;
}

function value(r: () => number, depth: number): unknown {
  const kind = Math.floor(r() * (depth > 3 ? 5 : 7));
  switch (kind) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return r() < 0.5 ? NUMBERS[Math.floor(r() * NUMBERS.length)] : Math.round((r() - 0.5) * 1e6) / (r() < 0.5 ? 1 : 1000);
    case 3:
    case 4: return string(r);
    case 5: return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let n = Math.floor(r() * 6); n > 0; n--) o[r() < 0.2 ? String(Math.floor(r() * 20)) : string(r, 6)] = value(r, depth + 1);
      return o;
    }
  }
}

function event(r: () => number, seq: number): Omit<AuditEvent, 'prevHash' | 'hash'> {
  return {
    seq,
    id: `act_${string(r, 8)}:${seq}`,
    actionId: r() < 0.1 ? null : `act_${string(r, 10)}`,
    type: r() < 0.5 ? 'approval.decision' : string(r, 14),
    actor: string(r, 20),
    at: new Date(Math.floor(r() * 4102444800000)).toISOString(),
    data: toJsonValue({ v: value(r, 0), w: value(r, 1) }),
    policyVersion: r() < 0.3 ? null : `sha256:${string(r, 64)}`,
  };
}

/** One stored event as the verifier's binary COPY tuple (LINK_SELECT: seq, then prevHash "\n" canonical), the way Postgres sends it. */
function copyTuple(seq: number, canonical: string, prevHash: string): Buffer {
  const int64 = Buffer.alloc(8);
  int64.writeBigInt64BE(BigInt(seq));
  const parts: Buffer[] = [Buffer.from([0, 2])];
  for (const f of [int64, Buffer.from(`${prevHash}\n${canonical}`)]) {
    const len = Buffer.alloc(4);
    len.writeInt32BE(f.length);
    parts.push(len, f);
  }
  return Buffer.concat(parts);
}

const header = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);

describe('the canonical serialisation is RFC 8785 JCS, byte for byte', () => {
  test('canonicalJson equals the canonicalize package on 20,000 generated JSON values', () => {
    const r = random(1);
    for (let i = 0; i < 20_000; i++) {
      const v = toJsonValue({ v: value(r, 0) });
      assert.equal(canonicalJson(v), canonicalize(v), `value #${i}: ${JSON.stringify(v)}`);
    }
  });

  test('an event body spliced around canonical data equals JCS of the whole event', () => {
    const r = random(2);
    for (let i = 0; i < 5_000; i++) {
      const e = event(r, 1 + Math.floor(r() * 1e12));
      const { seq, id, actionId, type, actor, at, data, policyVersion } = e;
      assert.equal(eventBody(e, canonicalJson(e.data)), canonicalize({ seq, id, actionId, type, actor, at, data, policyVersion }), `event #${i}`);
    }
  });

  test('the chain hash is SHA-256 of prevHash, a newline and the JCS text', () => {
    const r = random(3);
    const e = event(r, 7);
    const { seq, id, actionId, type, actor, at, data, policyVersion } = e;
    const expected = createHash('sha256').update(`${GENESIS_HASH}\n${canonicalize({ seq, id, actionId, type, actor, at, data, policyVersion })}`).digest('hex');
    assert.equal(chainHash(e, GENESIS_HASH), expected);
  });

  test('the worked example in docs/audit.md hashes as the document says', () => {
    const e = { seq: 1, id: 'act_01JD0000000000000000000000:1:action.submitted', actionId: 'act_01JD0000000000000000000000', type: 'action.submitted', actor: 'svc:etl-bot', at: '2026-11-01T09:30:00.000Z', data: { submission: { action: 'db.export', resource: 'postgres://prod/customers' }, requester: { id: 'svc:etl-bot', kind: 'service', groups: ['pipelines'] } }, policyVersion: null };
    assert.equal(eventBody(e, canonicalJson(e.data)), '{"actionId":"act_01JD0000000000000000000000","actor":"svc:etl-bot","at":"2026-11-01T09:30:00.000Z","data":{"requester":{"groups":["pipelines"],"id":"svc:etl-bot","kind":"service"},"submission":{"action":"db.export","resource":"postgres://prod/customers"}},"id":"act_01JD0000000000000000000000:1:action.submitted","policyVersion":null,"seq":1,"type":"action.submitted"}');
    assert.equal(chainHash(e, GENESIS_HASH), '04c13145e9894695320acc4c5b2128adb42a14be0927bc9995bb19ed11340dc0');
  });

  test('what JSON cannot hold is normalised before hashing: undefined dropped, dates as strings, lone surrogates replaced', () => {
    const v = toJsonValue({ a: undefined, b: new Date(0), c: NaN, ['\ud800k']: 'x\udc00y', d: [undefined] });
    assert.deepEqual(v, { b: '1970-01-01T00:00:00.000Z', c: null, '\ufffdk': 'x\ufffdy', d: [null] });
    assert.equal(canonicalJson(v), canonicalize(v));
  });
});

describe('the verifier hashes binary COPY rows without decoding them', () => {
  test('the byte path hashes every generated event as the writer did; any changed field or link changes the hash, a moved row is refused', () => {
    const r = random(4);
    const hasher = new LinkHasher();
    let prev = GENESIS_HASH;
    for (let i = 0; i < 3_000; i++) {
      const e = event(r, i + 1);
      const text = (x: typeof e) => eventBody(x, canonicalJson(x.data));
      const hash = chainHash(e, prev);
      const results: [boolean, boolean, boolean][] = [];
      const reader = new BinaryCopyReader(LINK_FIELD_COUNT, (buf, fields) => {
        const intact = hasher.intact(buf, fields, hasher.seq(buf, fields));
        results.push([intact, hasher.digest === hash, hasher.follows(buf, fields, prev)]);
      });
      reader.push(header);
      reader.push(copyTuple(e.seq, text(e), prev));
      reader.push(copyTuple(e.seq, text({ ...e, actor: e.actor + 'x' }), prev));
      reader.push(copyTuple(e.seq + 1, text(e), prev)); // as written, at another seq
      reader.push(copyTuple(e.seq, text({ ...e, at: new Date(Date.parse(e.at) + 1).toISOString() }), prev));
      reader.push(copyTuple(e.seq, text({ ...e, data: { ...e.data, x: 1 } }), prev));
      const other = prev.replace(/^./, prev[0] === 'f' ? 'e' : 'f');
      reader.push(copyTuple(e.seq, text(e), other));
      assert.deepEqual(results, [[true, true, true], [true, false, true], [false, true, true], [true, false, true], [true, false, true], [true, false, false]], `event #${i}: ${JSON.stringify(e)}`);
      prev = hash;
    }
  });

  test('the seq an event was written at is read from its text, whatever seq members its data holds', () => {
    const e = { seq: 42, id: 'a:1:x', actionId: 'a', type: 'odd ,"seq":7, type', actor: 'x', at: '2026-11-01T09:30:00.000Z', data: { seq: 9, nested: [{ ',"seq":': 8 }] }, policyVersion: null };
    const text = eventBody(e, canonicalJson(e.data));
    assert.equal(writtenSeqOf(text), 42);
    assert.equal(writtenSeqOf(text.replace('"seq":42', '"seq":"42"')), -1);
    assert.equal(writtenSeqOf(text.replace('"seq":42', '"seq":042')), -1);
    assert.equal(writtenSeqOf('{}'), -1);
    // Only the shape JCS gives the tail counts: `seq`, then `type` as the last member, a string, then the end.
    assert.equal(writtenSeqOf('{"seq":5,"type":"x","z":{"a":1,"seq":7,"b":2}}'), -1);
    assert.equal(writtenSeqOf(String.raw`{"a":1,"seq":7,"type":"x\"y"}`), 7); // an escaped quote inside the type
    assert.equal(writtenSeqOf(String.raw`{"a":1,"seq":7,"type":"x\\"}`), 7); // an escaped backslash, then the closing quote
    assert.equal(writtenSeqOf(String.raw`{"a":1,"seq":7,"type":"x\"}`), -1); // the closing quote escaped: no string
    assert.equal(writtenSeqOf(String.raw`{"a":1,"seq":7,"type":"x"y"}`), -1); // a bare quote inside
    assert.equal(writtenSeqOf(`{"seq":${'9'.repeat(16)},"type":"x"}`), -1);
  });

  test('a tuple split across chunks is reassembled', () => {
    const r = random(5);
    const e = event(r, 9);
    const row = Buffer.concat([header, copyTuple(e.seq, eventBody(e, canonicalJson(e.data)), GENESIS_HASH), Buffer.from([0xff, 0xff])]);
    const hasher = new LinkHasher();
    const seen: [boolean, string][] = [];
    const reader = new BinaryCopyReader(LINK_FIELD_COUNT, (buf, fields) => seen.push([hasher.intact(buf, fields, hasher.seq(buf, fields)), hasher.digest]));
    for (let i = 0; i < row.length; i += 7) reader.push(row.subarray(i, i + 7));
    assert.deepEqual(seen, [[true, chainHash(e, GENESIS_HASH)]]);
    assert.equal(reader.ended, true);
  });
});
