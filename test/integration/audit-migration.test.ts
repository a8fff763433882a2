import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { AuditWriter, canonicalJson, chainHash, GENESIS_HASH, verifyTrail } from '../../audit';
import { openDatabase } from '../../db';
import { freshDatabase } from '../support/database';

const migrations = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'db', 'migrations');

/** The migrations as they were before 0005: a copy of the folder whose journal stops at 0004. */
function migrationsThrough0004(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'interlock-migrations-'));
  cpSync(migrations, dir, { recursive: true });
  const journalFile = path.join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { idx: number }[] };
  journal.entries = journal.entries.filter((e) => e.idx <= 4);
  writeFileSync(journalFile, JSON.stringify(journal));
  return dir;
}

/** Events as the 0004 writer stored them: one column per field, `data` as its canonical text. */
function oldRows(count: number) {
  let prevHash = GENESIS_HASH;
  return Array.from({ length: count }, (_, i) => {
    const seq = i + 1;
    const e = {
      seq,
      id: `act_${Math.ceil(seq / 3)}:${seq}:action.submitted`,
      actionId: seq === 4 ? null : `act_${Math.ceil(seq / 3)}`,
      type: 'action.submitted',
      actor: seq % 2 ? 'svc:etl-bot' : 'zoë@example.com',
      at: new Date(Date.UTC(2026, 10, 1, 9, 0, 0) + seq * 1234).toISOString(),
      data: { reason: `a "quoted" reason\nwith a newline, a tab\t, a \u0001 control and ✓ #${seq}`, n: seq / 8, nested: { z: [1, null, true], a: {} } },
      policyVersion: seq === 5 ? null : 'sha256:' + 'ab'.repeat(32),
    };
    const hash = chainHash(e, prevHash);
    const row = { ...e, data: canonicalJson(e.data), prevHash, hash };
    prevHash = hash;
    return row;
  });
}

async function databaseAt0004(rows: ReturnType<typeof oldRows>) {
  const fresh = await freshDatabase();
  const pool = new pg.Pool({ connectionString: fresh.url });
  await migrate(drizzle(pool), { migrationsFolder: migrationsThrough0004() });
  for (const r of rows) {
    await pool.query('insert into audit_events (seq, id, action_id, type, actor, at, data, policy_version, prev_hash, hash) values ($1, $2, $3, $4, $5, $6, $7::json, $8, $9, $10)', [r.seq, r.id, r.actionId, r.type, r.actor, r.at, r.data, r.policyVersion, r.prevHash, r.hash]);
  }
  return { fresh, pool };
}

const before0005 = 'seq, id, action_id, type, actor, at, data::text as data, policy_version, prev_hash, hash';
const after0005 = `seq, id, action_id, type, actor, at, (canonical -> 'data')::text as data, canonical ->> 'policyVersion' as policy_version, prev_hash, hash`;

describe('migration 0005 moves an existing trail to one hashed text per row', { skip: process.env.INTERLOCK_TEST_DB === 'pglite' && 'needs Postgres' }, () => {
  test('an existing trail keeps every field and still verifies, and new events extend it', async () => {
    const { fresh, pool } = await databaseAt0004(oldRows(30));
    const database = await openDatabase({ url: fresh.url, dataDir: fresh.dataDir });
    try {
      const before = (await pool.query(`select ${before0005} from audit_events order by seq`)).rows;
      await database.migrate();
      const after = (await pool.query(`select ${after0005} from audit_events order by seq`)).rows;
      assert.deepEqual(after, before, 'every field reads as it did, now from the hashed text');
      const r = await verifyTrail(database.db);
      assert.deepEqual([r.ok, r.count, r.firstBad], [true, 30, null], r.message);
      await new AuditWriter(database.db).append([{ id: 'act_new:1:action.submitted', actionId: 'act_new', type: 'action.submitted', actor: 'svc:etl-bot', at: new Date().toISOString(), data: { after: 'migration' }, policyVersion: null }]);
      const again = await verifyTrail(database.db);
      assert.deepEqual([again.ok, again.count], [true, 31], again.message);
    } finally {
      await pool.end();
      await database.close();
      await fresh.drop();
    }
  });

  test('a trail with an event changed behind the application is not upgraded unless the operator accepts it', async () => {
    const rows = oldRows(30);
    rows[19] = { ...rows[19], data: canonicalJson({ reason: 'rewritten' }) };
    const { fresh, pool } = await databaseAt0004(rows);
    let database = await openDatabase({ url: fresh.url, dataDir: fresh.dataDir });
    try {
      await assert.rejects(database.migrate(), /1 audit event\(s\), the first at seq 20, no longer match their stored hash/);
      const { rows: columns } = await pool.query(`select column_name from information_schema.columns where table_name = 'audit_events' and column_name in ('data', 'canonical')`);
      assert.deepEqual(columns.map((c) => c.column_name), ['data'], 'nothing was migrated');
      await database.close();
      await pool.query(`alter database ${new URL(fresh.url!).pathname.slice(1)} set interlock.accept_changed_audit_events = on`);
      database = await openDatabase({ url: fresh.url, dataDir: fresh.dataDir });
      await database.migrate();
      const r = await verifyTrail(database.db);
      assert.deepEqual([r.ok, r.firstBad, r.problem, r.count], [false, 20, 'changed', 19], r.message);
    } finally {
      await pool.end();
      await database.close();
      await fresh.drop();
    }
  });
});
