import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { describe, test } from 'node:test';
import pg from 'pg';
import { actionAuditEvents, AuditWriter, canonicalJson, checkpointStatement, eventBody, linkHash, queryAuditEvents, createCheckpoint, parseSigningKey, verifyTrail, type HashedFields, type TrailVerification } from '../../audit';
import { openDatabase, type Database } from '../../db';
import type { NewAuditEvent } from '../../domain/audit-event';
import { freshDatabase } from '../support/database';

const newSigner = () => parseSigningKey(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
const signer = newSigner();
const verifiers = new Map([[signer.keyId, createPublicKey(signer.privateKey)]]);

interface Trail {
  database: Database;
  /** A superuser connection: what an attacker with database access can do. */
  admin: pg.Client;
  url: string;
  verify(): Promise<TrailVerification>;
  close(): Promise<void>;
}

/** A fresh database with `actions` actions of three events each, written through the real writer. */
async function trail(actions = 20, opts: { checkpointEvery?: number } = {}): Promise<Trail> {
  const fresh = await freshDatabase();
  const database = await openDatabase({ url: fresh.url, dataDir: fresh.dataDir });
  await database.migrate();
  const writer = new AuditWriter(database.db);
  for (let a = 1; a <= actions; a++) {
    for (const [n, type] of ['action.submitted', 'policy.evaluated', 'action.approved'].entries()) {
      await writer.append([auditEvent(`act_${a}`, n + 1, type)]);
    }
    if (opts.checkpointEvery && a % opts.checkpointEvery === 0) await createCheckpoint(database.db, signer);
  }
  const admin = new pg.Client({ connectionString: fresh.url });
  await admin.connect();
  const url = fresh.url!;
  return {
    database,
    admin,
    url,
    async verify() {
      // In process with small ranges (so ranges are joined often) and in worker threads: the same answer.
      const inProcess = await verifyTrail(database.db, { verifiers, rangeSize: 7 });
      const parallel = await verifyTrail(database.db, { verifiers, rangeSize: 11, parallel: { databaseUrl: url, workers: 2, minEvents: 0 } });
      assert.deepEqual(parallel, inProcess, 'the parallel scan agrees with the single pass');
      return inProcess;
    },
    async close() {
      await admin.end();
      await database.close();
      await fresh.drop();
    },
  };
}

function auditEvent(actionId: string, n: number, type: string): NewAuditEvent {
  return {
    id: `${actionId}:${n}:${type}`,
    actionId,
    type,
    actor: type === 'action.submitted' ? 'svc:etl-bot' : 'policy',
    at: new Date(Date.UTC(2026, 10, 1, 9, 0, 0) + n * 1000).toISOString(),
    data: type === 'action.submitted' ? { submission: { action: 'db.export', resource: 'postgres://prod/customers', justification: 'a "quoted" reason\nwith a newline' }, requester: { id: 'svc:etl-bot', kind: 'service', groups: ['pipelines'] } } : { decision: { outcome: 'allow', controls: ['SOC2:CC6.1'] } },
    policyVersion: 'sha256:' + 'ab'.repeat(32),
  };
}

/** Runs SQL behind the application's back: the append-only triggers off for the duration. */
async function tamper(t: Trail, ...statements: string[]): Promise<void> {
  await t.admin.query('ALTER TABLE audit_events DISABLE TRIGGER USER');
  await t.admin.query('ALTER TABLE audit_checkpoints DISABLE TRIGGER USER');
  for (const s of statements) await t.admin.query(s);
  await t.admin.query('ALTER TABLE audit_events ENABLE TRIGGER USER');
  await t.admin.query('ALTER TABLE audit_checkpoints ENABLE TRIGGER USER');
}

/** Edits one event's data, well formed, leaving the rest; Postgres recomputes its hash, as an attacker who knows the scheme would. */
async function rehashOne(t: Trail, seq: number, edit: (data: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
  const { rows: [r] } = await t.admin.query('select canonical, prev_hash from audit_events where seq = $1', [seq]);
  const { canonical, hash } = reHashed(r.canonical, r.prev_hash, edit);
  await tamper(t, `update audit_events set canonical = '${canonical.replace(/'/g, "''")}'::json where seq = ${seq}`);
  const { rows: [after] } = await t.admin.query('select hash from audit_events where seq = $1', [seq]);
  assert.equal(after.hash, hash, 'Postgres recomputed the hash as the scheme says');
}

/** Rewrites every event from `fromSeq` on with correct hashes, as an attacker who knows the scheme would. */
async function rehashFrom(t: Trail, fromSeq: number, edit: (seq: number, data: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
  const { rows } = await t.admin.query('select seq, canonical, prev_hash from audit_events where seq >= $1 order by seq', [fromSeq]);
  let prev: string = rows[0].prev_hash;
  await t.admin.query('ALTER TABLE audit_events DISABLE TRIGGER USER');
  for (const r of rows) {
    const { canonical, hash } = reHashed(r.canonical, prev, (data) => edit(Number(r.seq), data));
    await t.admin.query('update audit_events set canonical = $1::json, prev_hash = $2 where seq = $3', [canonical, prev, r.seq]);
    prev = hash;
  }
  await t.admin.query('ALTER TABLE audit_events ENABLE TRIGGER USER');
}

/** A stored event with its data edited, serialised and hashed exactly as the writer would. */
function reHashed(stored: { data: Record<string, unknown> } & Record<string, unknown>, prevHash: string, edit: (data: Record<string, unknown>) => Record<string, unknown>) {
  const e = stored as unknown as Omit<HashedFields, 'data'> & { data: Record<string, unknown> };
  const canonical = eventBody(e, canonicalJson(edit(e.data)));
  return { canonical, hash: linkHash(prevHash, canonical) };
}

describe('tampering with the audit trail behind the application is detected at the right seq', () => {
  test('an untouched trail verifies, and its checkpoints with it', async () => {
    const t = await trail(20, { checkpointEvery: 5 });
    try {
      const r = await t.verify();
      assert.equal(r.ok, true, r.message);
      assert.equal(r.count, 60);
      assert.equal(r.firstBad, null);
      assert.equal(r.checkpoints.verified, 4);
      assert.equal(r.checkpoints.latest?.seq, 60);
      assert.equal(r.checkpoints.unsignedEvents, 0);
    } finally {
      await t.close();
    }
  });

  test('a changed event is reported as changed at its seq', async () => {
    const t = await trail();
    try {
      await tamper(t, `update audit_events set canonical = replace(canonical::text, '"outcome":"allow"', '"outcome":"deny"')::json where seq = 17`);
      const r = await t.verify();
      assert.deepEqual([r.ok, r.firstBad, r.problem, r.count], [false, 17, 'changed', 16]);
    } finally {
      await t.close();
    }
  });

  test('a changed actor or time is reported as changed too', async () => {
    const t = await trail();
    try {
      await tamper(t, `update audit_events set canonical = replace(canonical::text, '"actor":"svc:etl-bot"', '"actor":"mallory@example.com"')::json where seq = 31`);
      assert.deepEqual(pick(await t.verify()), [false, 31, 'changed']);
      const { rows } = await t.admin.query('select actor from audit_events where seq = 31');
      assert.equal(rows[0].actor, 'mallory@example.com', 'the actor column shows the same edited text the verifier hashed');
      await tamper(t, `update audit_events set canonical = regexp_replace(canonical::text, '"at":"([^"]*)\\.000Z"', '"at":"\\1.001Z"')::json where seq = 30`);
      assert.deepEqual(pick(await t.verify()), [false, 30, 'changed']);
    } finally {
      await t.close();
    }
  });

  test('no column can be changed apart from the hashed text, even by a superuser with the triggers off', async () => {
    const t = await trail(4);
    try {
      for (const [column, value] of [['actor', "'mallory@example.com'"], ['at', 'now()'], ['id', "'x'"], ['type', "'action.denied'"], ['hash', `'${'0'.repeat(64)}'`]]) {
        await assert.rejects(tamper(t, `update audit_events set ${column} = ${value} where seq = 2`), /can only be updated to DEFAULT/, column);
      }
      await t.admin.query('ALTER TABLE audit_events ENABLE TRIGGER USER');
      await assert.rejects(t.admin.query(`insert into audit_events (seq, canonical, prev_hash, actor) values (13, '{}', 'x', 'mallory')`), /cannot insert a non-DEFAULT value into column "actor"/);
      assert.deepEqual(pick(await t.verify()), [true, null, null]);
    } finally {
      await t.close();
    }
  });

  test('a column set apart from the hashed text by editing the catalog changes nothing any reader shows', async () => {
    const t = await trail(4);
    try {
      // What a superuser can do that DML on the table cannot: make the generated column writable, write it, make it generated again.
      await t.admin.query(`update pg_attribute set attgenerated = '' where attrelid = 'audit_events'::regclass and attname = 'actor'`);
      await tamper(t, `update audit_events set actor = 'mallory@example.com' where seq = 4`);
      await t.admin.query(`update pg_attribute set attgenerated = 's' where attrelid = 'audit_events'::regclass and attname = 'actor'`);
      assert.equal((await t.admin.query('select actor from audit_events where seq = 4')).rows[0].actor, 'mallory@example.com');
      const events = await actionAuditEvents(t.database.db, 'act_2');
      assert.equal(events[0].seq, 4);
      assert.equal(events[0].actor, 'svc:etl-bot', 'the event shows what its hashed text says');
      assert.deepEqual((await queryAuditEvents(t.database.db, { actor: 'mallory@example.com' })).events, [], 'a filter matched by the column alone returns nothing');
      assert.deepEqual(pick(await t.verify()), [true, null, null]);
    } finally {
      await t.close();
    }
  });

  test('a deleted event is reported as missing at its seq', async () => {
    const t = await trail();
    try {
      await tamper(t, 'delete from audit_events where seq = 17');
      const r = await t.verify();
      assert.deepEqual(pick(r), [false, 17, 'missing']);
      assert.match(r.message, /next present is 18/);
    } finally {
      await t.close();
    }
  });

  test('deleting the newest events is revealed by the checkpoint that signed them', async () => {
    const t = await trail(20, { checkpointEvery: 20 });
    try {
      await tamper(t, 'delete from audit_events where seq > 57');
      const r = await t.verify();
      assert.deepEqual(pick(r), [false, 58, 'missing']);
      assert.match(r.message, /checkpoint #1 signed seq 60/);
    } finally {
      await t.close();
    }
  });

  test('two swapped events are reported as reordered at the first', async () => {
    const t = await trail();
    try {
      await tamper(t, 'update audit_events set seq = -1 where seq = 10', 'update audit_events set seq = 10 where seq = 20', 'update audit_events set seq = 20 where seq = -1');
      const r = await t.verify();
      assert.deepEqual(pick(r), [false, 10, 'reordered']);
      assert.match(r.message, /written as seq 20/);
      await tamper(t, 'update audit_events set seq = -1 where seq = 10', 'update audit_events set seq = 10 where seq = 20', 'update audit_events set seq = 20 where seq = -1');
      await tamper(t, 'update audit_events set seq = -1 where seq = 40', 'update audit_events set seq = 40 where seq = 41', 'update audit_events set seq = 41 where seq = -1');
      assert.deepEqual(pick(await t.verify()), [false, 40, 'reordered']);
    } finally {
      await t.close();
    }
  });

  test('an event edited and re-hashed on its own is reported at its seq, by the event after it', async () => {
    const t = await trail();
    try {
      await rehashOne(t, 25, (data) => ({ ...data, forged: true }));
      const r = await t.verify();
      assert.deepEqual(pick(r), [false, 25, 'changed']);
      assert.match(r.message, /event 26 records a predecessor hash that event 25 no longer has/);
    } finally {
      await t.close();
    }
  });

  test('a chain rewritten and re-hashed from an event on is caught by the next signed checkpoint', async () => {
    const t = await trail(20, { checkpointEvery: 10 });
    try {
      await rehashFrom(t, 35, (seq, data) => (seq === 35 ? { ...data, rewritten: true } : data));
      const r = await t.verify();
      assert.deepEqual(pick(r), [false, 60, 'checkpoint_mismatch']);
      assert.match(r.message, /after checkpoint #1 \(seq 30\)/);
      assert.equal(r.checkpoints.latest?.id, 1);
    } finally {
      await t.close();
    }
  });

  test('a forged checkpoint is reported as a bad signature at the seq it claims', async () => {
    const t = await trail(20, { checkpointEvery: 10 });
    try {
      const mallory = newSigner();
      const { rows } = await t.admin.query('select id, signature from audit_checkpoints order by id desc limit 1');
      const [{ hash }] = (await t.admin.query('select hash from audit_events where seq = 45')).rows;
      const forged = { id: 3, seq: 45, hash, at: new Date().toISOString(), prevCheckpointId: Number(rows[0].id), prevSignature: rows[0].signature as string, keyId: signer.keyId };
      const signature = sign(null, checkpointStatement(forged), mallory.privateKey).toString('base64');
      await t.admin.query('insert into audit_checkpoints (id, seq, hash, at, prev_checkpoint_id, prev_signature, key_id, signature) values ($1, $2, $3, $4, $5, $6, $7, $8)', [forged.id, forged.seq, forged.hash, forged.at, forged.prevCheckpointId, forged.prevSignature, forged.keyId, signature]);
      const r = await t.verify();
      assert.deepEqual(pick(r), [false, 45, 'checkpoint_signature_invalid']);
      assert.match(r.message, /checkpoint #3/);
    } finally {
      await t.close();
    }
  });

  test('an altered checkpoint fails its signature; a removed one breaks the checkpoint chain', async () => {
    const t = await trail(20, { checkpointEvery: 5 });
    try {
      await tamper(t, `update audit_checkpoints set hash = (select hash from audit_events where seq = 29) where id = 2`);
      assert.deepEqual(pick(await t.verify()), [false, 30, 'checkpoint_signature_invalid']);
      const { rows } = await t.admin.query('select hash from audit_events where seq = 30');
      await tamper(t, `update audit_checkpoints set hash = '${rows[0].hash}' where id = 2`, 'delete from audit_checkpoints where id = 3');
      const r = await t.verify();
      assert.deepEqual(pick(r), [false, 60, 'checkpoint_chain_broken']);
      assert.match(r.message, /checkpoint #3 is missing/);
    } finally {
      await t.close();
    }
  });

  test('checkpoints that no configured key can check make verification fail, not pass', async () => {
    const t = await trail(4, { checkpointEvery: 2 });
    try {
      const r = await verifyTrail(t.database.db, {});
      assert.deepEqual(pick(r), [false, 6, 'checkpoint_unverifiable']);
    } finally {
      await t.close();
    }
  });
});

function pick(r: TrailVerification): [boolean, number | null, string | null] {
  return [r.ok, r.firstBad, r.problem];
}
