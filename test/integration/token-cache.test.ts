import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
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

  before(async () => {
    const fresh = await freshDatabase();
    drop = fresh.drop;
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
});
