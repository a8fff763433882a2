import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createActivities } from '../../activities';
import { AuditWriter, createCheckpoint, parseSigningKey, verifyTrail } from '../../audit';
import { openDatabase, type Database } from '../../db';
import type { Action } from '../../domain/action';
import type { NewAuditEvent } from '../../domain/audit-event';
import { initialAction } from '../../workflows/initial-action';
import { freshDatabase } from '../support/database';

const signer = parseSigningKey(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
const verifiers = new Map([[signer.keyId, createPublicKey(signer.privateKey)]]);

let fresh: Awaited<ReturnType<typeof freshDatabase>>;
/** Two connection pools to one database: what two worker processes are, as far as locks go. */
let processA: Database;
let processB: Database;
/** Plain SQL for the assertions, outside the code under test. */
let sql: pg.Pool;

before(async () => {
  fresh = await freshDatabase();
  processA = await openDatabase({ url: fresh.url, dataDir: fresh.dataDir });
  await processA.migrate();
  processB = await openDatabase({ url: fresh.url, dataDir: fresh.dataDir });
  sql = new pg.Pool({ connectionString: fresh.url });
});
after(async () => {
  await processA?.close();
  await processB?.close();
  await sql?.end();
  await fresh?.drop();
});

function step(actionId: string, n: number, type = 'approval.decision'): NewAuditEvent {
  return { id: `${actionId}:${n}:${type}`, actionId, type, actor: 'bob@example.com', at: new Date().toISOString(), data: { n, comment: 'ok' }, policyVersion: null };
}

function action(id: string): Action {
  return initialAction({ id, submission: { action: 'db.export', resource: 'db://x', environment: 'production', params: {}, context: {}, breakGlass: false, justification: null, onBehalfOf: null, execute: { type: 'none' } }, requester: { id: 'svc:etl-bot', kind: 'service', groups: [] }, submittedAt: new Date().toISOString() });
}

async function seqsOf(ids: string[]): Promise<number[]> {
  const { rows } = await sql.query('select seq from audit_events where id = any($1) order by seq', [ids]);
  return rows.map((r: { seq: string }) => Number(r.seq));
}

describe('the audit writer keeps one chain under concurrency and retries', () => {
  test('appends awaited one after another are each written (none waits behind a finished flush)', async () => {
    const writer = new AuditWriter(processA.db);
    for (let i = 0; i < 50; i++) await writer.append([step('act_serial', i)]);
    assert.equal((await seqsOf(Array.from({ length: 50 }, (_, i) => `act_serial:${i}:approval.decision`))).length, 50);
  });

  test('a retried recordStep activity writes its events once: again, twice at once, and on another worker process', async () => {
    const deps = { policy: { current: () => { throw new Error('not used'); } }, webhookSecret: undefined };
    const onA = createActivities({ db: processA.db, audit: new AuditWriter(processA.db), ...deps });
    const onB = createActivities({ db: processB.db, audit: new AuditWriter(processB.db), ...deps });
    const input = { events: [step('act_retry', 1, 'action.submitted'), step('act_retry', 2, 'policy.evaluated')], action: action('act_retry'), version: 1 };
    await onA.recordStep(input);
    await onA.recordStep(input); // retried after a lost reply
    await Promise.all([onA.recordStep(input), onA.recordStep(input), onB.recordStep(input), onB.recordStep(input)]); // retries racing each other
    const next = { ...input, events: [step('act_retry', 3, 'action.approved')], version: 2 };
    await Promise.all([onA.recordStep(next), onB.recordStep(next)]); // a first attempt racing its retry elsewhere
    const seqs = await seqsOf([...input.events, ...next.events].map((e) => e.id));
    assert.equal(seqs.length, 3, 'each event is stored exactly once');
    assert.deepEqual(seqs, [seqs[0], seqs[0] + 1, seqs[0] + 2], 'in the order the workflow produced them');
    const writer = new AuditWriter(processA.db);
    const again = await writer.append(input.events);
    assert.deepEqual(again.map((e) => e.seq), seqs.slice(0, 2), 'a retry gets the stored events back');
    const { rows } = await sql.query('select version from actions where id = $1', ['act_retry']);
    assert.equal(rows[0].version, 2, 'the projection only moves forward');
    assert.equal((await verifyTrail(processA.db, { verifiers })).ok, true);
  });

  test('many workflows on two processes appending at once make one chain with no gap, fork or duplicate', async () => {
    const writers = [new AuditWriter(processA.db), new AuditWriter(processB.db)];
    const before = Number((await sql.query('select coalesce(max(seq), 0) as head from audit_events')).rows[0].head);
    await Promise.all(
      Array.from({ length: 200 }, async (_, w) => {
        for (let n = 1; n <= 5; n++) await writers[w % 2].append([step(`act_many_${w}`, n)]);
      }),
    );
    const { rows } = await sql.query('select count(*)::int as n, min(seq) as lo, max(seq) as hi, count(distinct id)::int as ids, count(distinct prev_hash)::int as links from audit_events where seq > $1', [before]);
    assert.deepEqual(rows[0], { n: 1000, lo: String(before + 1), hi: String(before + 1000), ids: 1000, links: 1000 });
    const r = await verifyTrail(processA.db, { verifiers });
    assert.equal(r.ok, true, r.message);
    assert.equal(r.count, before + 1000);
  });

  test('one bad event fails its own append, not the appends batched with it', async () => {
    const writer = new AuditWriter(processA.db);
    const results = await Promise.allSettled([writer.append([step('act_ok', 1)]), writer.append([{ ...step('act_bad', 1), at: 'not a time' }]), writer.append([step('act_ok', 2)])]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  });

  test('two processes checkpointing at once extend one checkpoint chain', async () => {
    const writer = new AuditWriter(processA.db);
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        await writer.append([step('act_cp', i)]);
        await Promise.all([createCheckpoint(processA.db, signer), createCheckpoint(processB.db, signer)]);
      }),
    );
    const { rows } = await sql.query('select id, prev_checkpoint_id from audit_checkpoints order by id');
    assert.equal(rows.length, 20);
    rows.forEach((r: { id: string; prev_checkpoint_id: string | null }, i: number) => {
      assert.equal(Number(r.id), i + 1);
      assert.equal(r.prev_checkpoint_id === null ? null : Number(r.prev_checkpoint_id), i === 0 ? null : i);
    });
    const r = await verifyTrail(processA.db, { verifiers });
    assert.equal(r.ok, true, r.message);
    assert.equal(r.checkpoints.verified, 20);
    assert.equal(await createCheckpoint(processA.db, signer, { onlyIfMoved: true }), null, 'no new checkpoint while the head stands still');
  });
});
