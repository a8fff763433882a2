// The CLI's database commands against a database that is not there, not reachable, or never migrated: one line on
// stderr with the database's own reason and what to do, not drizzle's "Failed query: <sql>".
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { runCli } from '../support/cli';
import { freshDatabase } from '../support/database';
import { freePort } from '../support/ports';

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const COMMANDS = [
  ['audit', 'verify'],
  ['audit', 'export', '--from', '30d', '--to', 'now', '--format', 'jsonl'],
  ['token', 'list'],
];

describe('CLI database errors', { skip: process.env.INTERLOCK_TEST_DB === 'pglite' ? 'needs a Postgres server' : false }, () => {
  let empty: Awaited<ReturnType<typeof freshDatabase>>;
  const withUrl = (url: string) => ({ DATABASE_URL: url, INTERLOCK_DB_MIGRATE: 'false', INTERLOCK_DATA_DIR: empty.dataDir });
  const lastLine = (stderr: string) => stderr.trim().split('\n').at(-1) ?? '';

  before(async () => {
    empty = await freshDatabase(); // created, never migrated
  });
  after(async () => {
    await empty.drop();
  });

  test('a database that does not exist is named, with what to check', async () => {
    const url = new URL(ADMIN_URL);
    url.pathname = '/interlock_no_such_database';
    for (const args of COMMANDS) {
      const r = await runCli(args, withUrl(url.toString()));
      assert.equal(r.code, 1, args.join(' '));
      const line = lastLine(r.stderr);
      assert.match(line, /^interlock: database: database "interlock_no_such_database" does not exist \(check the database name in DATABASE_URL/, args.join(' '));
      assert.doesNotMatch(r.stderr, /Failed query/);
    }
  });

  test('a Postgres that is not listening is named by address', async () => {
    const port = await freePort();
    const url = `postgres://interlock:s3cret-password@127.0.0.1:${port}/interlock`;
    for (const args of COMMANDS) {
      const r = await runCli(args, withUrl(url));
      assert.equal(r.code, 1, args.join(' '));
      assert.match(lastLine(r.stderr), new RegExp(`^interlock: database: connect ECONNREFUSED 127\\.0\\.0\\.1:${port} \\(is Postgres running where DATABASE_URL points\\?\\)$`), args.join(' '));
      assert.doesNotMatch(r.stderr + r.stdout, /s3cret-password/, 'the password in DATABASE_URL is never printed');
    }
  });

  test('a database never migrated says how to migrate it, and is left as it was', async () => {
    for (const args of COMMANDS) {
      const r = await runCli(args, withUrl(empty.url!));
      assert.equal(r.code, 1, args.join(' '));
      assert.match(lastLine(r.stderr), /^interlock: database: relation "\w+" does not exist \(the database has no Interlock tables: start Interlock against it once/, args.join(' '));
      assert.doesNotMatch(r.stderr, /Failed query/);
    }
    const client = new pg.Client({ connectionString: empty.url });
    await client.connect();
    try {
      const { rows } = await client.query(`select count(*)::int as n from information_schema.tables where table_schema = 'public'`);
      assert.equal(rows[0].n, 0, 'INTERLOCK_DB_MIGRATE=false: no command created a table');
    } finally {
      await client.end();
    }
  });
});
