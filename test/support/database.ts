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
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
