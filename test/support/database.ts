import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * A fresh, empty database for one test file: a new Postgres database on the test server (dropped by
 * `drop`), or an embedded PGlite directory when INTERLOCK_TEST_DB=pglite. Returns what DATABASE_URL
 * should be (undefined for PGlite) and the data dir.
 */
export async function freshDatabase(): Promise<{ url: string | undefined; dataDir: string; drop: () => Promise<void> }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'interlock-test-'));
  if (process.env.INTERLOCK_TEST_DB === 'pglite') return { url: undefined, dataDir, drop: async () => {} };
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `interlock_t_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    dataDir,
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await dropDatabaseOnceLeft(c, name);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * Drops a scratch database once the sessions closing on it have gone. A pool's end() resolves before its
 * sockets close; forcing the drop at once kills sessions that are leaving anyway, and a pool without an
 * error listener then throws after the caller has finished. Whatever is still connected after 5 s is a
 * leak, and the forced drop ends it.
 */
export async function dropDatabaseOnceLeft(admin: pg.Client, name: string): Promise<void> {
  for (let waited = 0; waited < 5000; waited += 20) {
    const { rows } = await admin.query('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
    if (rows[0].n === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await admin.query(`drop database if exists ${name} with (force)`);
}
