import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { apiTokens, openDatabase, type Database } from '../../db';
import { createToken, revokeToken, TokenCache } from '../../identity';
import { freshDatabase } from '../support/database';

/**
 * The API's token cache on a real Postgres: two connections stand for two processes (an API serving requests, and
 * the CLI or another API revoking). A cached token costs no query; a revocation elsewhere reaches the cache through
 * NOTIFY; a lost LISTEN connection means nothing is served from memory until it is back.
 */
describe('token cache', () => {
  let api: Database;
  let other: Database;
  let drop: () => Promise<void>;
  let url: string;

  before(async () => {
    const fresh = await freshDatabase();
    drop = fresh.drop;
    url = fresh.url!;
    api = await openDatabase({ url: fresh.url, dataDir: fresh.dataDir });
    await api.migrate();
    other = await openDatabase({ url: fresh.url, dataDir: fresh.dataDir });
  });
  after(async () => {
    await api?.close();
    await other?.close();
    await drop?.();
  });

  const until = async (ok: () => boolean | Promise<boolean>, what: string) => {
    for (const end = Date.now() + 5000; Date.now() < end; await new Promise((r) => setTimeout(r, 10))) if (await ok()) return;
    assert.fail(`timed out waiting for ${what}`);
  };

  test('a looked-up token is served from memory: a change made behind its back is not seen until the lifetime ends', async () => {
    let now = 1_000_000;
    const cache = new TokenCache(api, { ttlMs: 30_000, now: () => now });
    await cache.start();
    try {
      const { id, token } = await createToken(other.db, 'svc:etl-bot');
      assert.equal(await cache.lookup(token), 'svc:etl-bot');
      // Straight in the table (no revocation, no NOTIFY): only a cache would still answer the old principal.
      await other.db.update(apiTokens).set({ principalId: 'svc:other' }).where(eq(apiTokens.id, id));
      assert.equal(await cache.lookup(token), 'svc:etl-bot', 'served from memory');
      now += 30_001;
      assert.equal(await cache.lookup(token), 'svc:other', 'looked up again once its lifetime is over');
    } finally {
      await cache.stop();
    }
  });

  test('a revocation by another process reaches the cache at once; unknown tokens are never cached', async () => {
    const cache = new TokenCache(api);
    await cache.start();
    try {
      const { id, token } = await createToken(other.db, 'svc:etl-bot');
      assert.equal(await cache.lookup(token), 'svc:etl-bot');
      assert.equal(cache.size, 1);
      await revokeToken(other.db, id);
      await until(() => cache.size === 0, 'the NOTIFY to evict the token');
      assert.equal(await cache.lookup(token), null);
      assert.equal(await cache.lookup('ilk_not-a-token'), null);
      assert.equal(cache.size, 0);
    } finally {
      await cache.stop();
    }
  });

  test('revoking again a token whose announcement was lost (revoked in the table, no NOTIFY) still reaches the cache', async () => {
    const cache = new TokenCache(api);
    await cache.start();
    try {
      const { id, token } = await createToken(other.db, 'svc:etl-bot');
      assert.equal(await cache.lookup(token), 'svc:etl-bot');
      // What a crash between the revocation and its announcement left behind.
      await other.db.update(apiTokens).set({ revokedAt: sql`now()` }).where(eq(apiTokens.id, id));
      assert.equal(await cache.lookup(token), 'svc:etl-bot', 'nobody told the cache');
      assert.equal(await revokeToken(other.db, id), null, 'already revoked');
      await until(() => cache.size === 0, 'the repeated revocation to be announced');
      assert.equal(await cache.lookup(token), null);
    } finally {
      await cache.stop();
    }
  });

  test('an expired token is not served from memory', async () => {
    const cache = new TokenCache(api);
    await cache.start();
    try {
      const { token } = await createToken(other.db, 'svc:etl-bot', { expiresAt: new Date(Date.now() + 1500) });
      assert.equal(await cache.lookup(token), 'svc:etl-bot');
      assert.equal(cache.size, 1);
      await new Promise((r) => setTimeout(r, 1600));
      assert.equal(await cache.lookup(token), null, 'its expiry ends it in memory too, well within the cache lifetime');
      assert.equal(cache.size, 0);
    } finally {
      await cache.stop();
    }
  });

  test('while the LISTEN connection is lost nothing is served from memory; caching resumes once it is back', async () => {
    const cache = new TokenCache(api);
    await cache.start();
    try {
      const { id, token } = await createToken(other.db, 'svc:etl-bot');
      assert.equal(await cache.lookup(token), 'svc:etl-bot');
      const killed = await other.db.execute(sql`select pg_terminate_backend(pid) from pg_stat_activity where query = 'listen interlock_token_revoked' and datname = current_database()`);
      assert.ok((killed as unknown as { rowCount: number }).rowCount >= 1, 'the listener connection was found and ended');
      await until(() => cache.size === 0, 'the cache to forget everything when its listener is lost');
      await other.db.update(apiTokens).set({ principalId: 'svc:deaf' }).where(eq(apiTokens.id, id));
      assert.equal(await cache.lookup(token), 'svc:deaf', 'looked up, not remembered');
      await until(async () => (await cache.lookup(token), cache.size === 1), 'the listener to reconnect and caching to resume');
      await revokeToken(other.db, id);
      await until(() => cache.size === 0, 'revocations heard again');
    } finally {
      await cache.stop();
    }
  });

  test('a lookup that read a token before a revocation missed while deaf is not cached once the listener is back', async () => {
    // Real sessions hold the lookup still: C revokes (its NOTIFY goes to nobody: no listener), E's SHARE lock queues
    // behind C, and the lookup's last-used UPDATE queues behind E, so it ends only after the listener has reconnected.
    const cache = new TokenCache(api);
    await cache.start();
    const c = new pg.Client({ connectionString: url });
    const e = new pg.Client({ connectionString: url });
    const name = new URL(url).pathname.slice(1);
    // ALTER DATABASE is refused from inside it: the server's maintenance database.
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_ADMIN_URL ?? Object.assign(new URL(url), { pathname: '/postgres' }).toString() });
    await Promise.all([c.connect(), e.connect(), admin.connect()]);
    const waiting = async (like: string) => (await admin.query(`select count(*)::int as n from pg_stat_activity where datname = $1 and wait_event_type = 'Lock' and query ilike $2`, [name, like])).rows[0].n > 0;
    const listenerUp = async () => (await admin.query(`select count(*)::int as n from pg_stat_activity where datname = $1 and query = 'listen interlock_token_revoked' and state = 'idle'`, [name])).rows[0].n > 0;
    try {
      const { id, token } = await createToken(other.db, 'svc:etl-bot');
      await api.db.execute(sql`select 1`); // the lookup below reuses this pooled session while new ones are refused
      await admin.query(`alter database ${name} allow_connections false`);
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and query = 'listen interlock_token_revoked'`, [name]);
      await until(async () => !(await listenerUp()), 'the listener to be gone');
      await new Promise((r) => setTimeout(r, 50)); // the cache hears its connection end
      await c.query('begin');
      await c.query('update api_tokens set revoked_at = now() where id = $1', [id]);
      await e.query('begin');
      const locked = e.query('lock table api_tokens in share mode');
      await until(() => waiting('lock table%'), 'E to queue behind C');
      const looked = cache.lookup(token);
      await until(() => waiting('update "api_tokens"%'), "the lookup's UPDATE to queue behind E");
      await c.query(`select pg_notify('interlock_token_revoked', $1)`, [id]);
      await c.query('commit'); // revoked, announced to nobody
      await locked;
      await admin.query(`alter database ${name} allow_connections true`);
      await until(listenerUp, 'the listener to reconnect');
      await new Promise((r) => setTimeout(r, 50));
      await e.query('commit');
      assert.equal(await looked, 'svc:etl-bot', 'the lookup read the token before its revocation');
      assert.equal(await cache.lookup(token), null, 'the revoked token is refused, not served from memory');
      assert.equal(cache.size, 0);
    } finally {
      await admin.query(`alter database ${name} allow_connections true`).catch(() => {});
      await Promise.all([c.end(), e.end(), admin.end()]);
      await cache.stop();
    }
  });
});
