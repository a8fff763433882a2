import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { AuditWriter, createCheckpoint, parseSigningKey, verifyTrail } from '../../audit';
import { openDatabase, type Database } from '../../db';
import { freshDatabase } from '../support/database';

/**
 * The deployment docs/audit.md describes: migrations run as the owner, the application connects as a
 * LOGIN user that is a member of `interlock_app`.
 */
describe('the application role may add to the audit trail and read it, never change it', () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let owner: pg.Client;
  let app: pg.Client;
  let appDatabase: Database;
  const user = `interlock_t_app_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');

  before(async () => {
    fresh = await freshDatabase();
    const ownerDb = await openDatabase({ url: fresh.url, dataDir: fresh.dataDir });
    await ownerDb.migrate();
    await ownerDb.close();
    owner = new pg.Client({ connectionString: fresh.url });
    await owner.connect();
    await owner.query(`CREATE ROLE ${user} LOGIN PASSWORD '${password}' IN ROLE interlock_app`);
    const url = new URL(fresh.url!);
    url.username = user;
    url.password = password;
    app = new pg.Client({ connectionString: url.toString() });
    await app.connect();
    appDatabase = await openDatabase({ url: url.toString(), dataDir: fresh.dataDir });
  });

  after(async () => {
    await app?.end();
    await appDatabase?.close();
    await owner?.end();
    await fresh?.drop();
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ${user}`);
    await admin.end();
  });

  test('connected as a member of interlock_app, the writer appends and checkpoints, and the trail verifies', async () => {
    assert.equal((await app.query('select current_user as u')).rows[0].u, user);
    const writer = new AuditWriter(appDatabase.db);
    for (let n = 1; n <= 5; n++) await writer.append([{ id: `act_role:${n}:approval.decision`, actionId: 'act_role', type: 'approval.decision', actor: 'bob@example.com', at: new Date().toISOString(), data: { n }, policyVersion: null }]);
    const signer = parseSigningKey(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
    await createCheckpoint(appDatabase.db, signer);
    const r = await verifyTrail(appDatabase.db, { verifiers: new Map([[signer.keyId, createPublicKey(signer.privateKey)]]) });
    assert.equal(r.ok, true, r.message);
    assert.equal(r.count, 5);
  });

  for (const table of ['audit_events', 'audit_checkpoints']) {
    test(`UPDATE, DELETE and TRUNCATE on ${table} are refused to the application role`, async () => {
      for (const statement of [`UPDATE ${table} SET seq = seq + 100`, `DELETE FROM ${table}`, `TRUNCATE ${table}`]) {
        await assert.rejects(app.query(statement), (err: { code?: string; message: string }) => {
          assert.equal(err.code, '42501', `${statement}: ${err.message}`); // insufficient_privilege
          assert.match(err.message, /permission denied/);
          return true;
        });
      }
    });
  }

  test('the application role cannot lift the append-only triggers either', async () => {
    await assert.rejects(app.query('ALTER TABLE audit_events DISABLE TRIGGER USER'), /must be owner/);
  });

  test('even the owner is stopped by the append-only trigger', async () => {
    await assert.rejects(owner.query(`UPDATE audit_events SET canonical = '{}' WHERE seq = 1`), /append-only/);
    await assert.rejects(owner.query('DELETE FROM audit_events WHERE seq = 1'), /append-only/);
  });

  test('the other tables keep the rights the application needs', async () => {
    await app.query(`INSERT INTO api_tokens (id, principal_id, token_hash) VALUES ('tok_role', 'svc:etl-bot', 'h-role')`);
    await app.query(`UPDATE api_tokens SET revoked_at = now() WHERE id = 'tok_role'`);
    await app.query(`DELETE FROM idempotency_keys WHERE principal_id = 'nobody'`);
  });
});
