import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { BinaryCopyReader, copyOut } from '../../audit';
import { freshDatabase } from '../support/database';

/**
 * copyOut reads CopyData frames off the connection's socket itself and gives the socket back to
 * node-postgres afterwards; these check that the connection stays usable, and that errors and a lost
 * connection end the copy with an error instead of leaving it waiting.
 */
describe('COPY rows read off the socket', { skip: process.env.INTERLOCK_TEST_DB === 'pglite' && 'needs Postgres' }, () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let pool: pg.Pool;
  before(async () => {
    fresh = await freshDatabase();
    pool = new pg.Pool({ connectionString: fresh.url, max: 3 });
  });
  after(async () => {
    await pool.end();
    await fresh.drop();
  });

  test('every row arrives, in order, and the connection then answers queries as before', async () => {
    const client = await pool.connect();
    try {
      const seen: number[] = [];
      const reader = new BinaryCopyReader(2, (buf, f) => seen.push(buf.readInt32BE(f[0])));
      // Rows of very different sizes, so frames split across socket reads at every position.
      await copyOut(client, `copy (select i, repeat('x', (i * 7919) % 70000) from generate_series(1, 3000) i) to stdout (format binary)`, (b, s, e) => reader.push(b, s, e));
      assert.equal(seen.length, 3000);
      assert.ok(seen.every((v, i) => v === i + 1));
      assert.equal(reader.ended, true);
      const { rows } = await client.query(`select 41 + 1 as answer`);
      assert.equal(rows[0].answer, 42);
    } finally {
      client.release();
    }
  });

  test('an error in the middle of the copy rejects with the server error, and the connection recovers', async () => {
    const client = await pool.connect();
    try {
      let rows = 0;
      await assert.rejects(copyOut(client, `copy (select 1 / (i - 5000) from generate_series(1, 10000) i) to stdout (format binary)`, () => void rows++), /division by zero/);
      assert.ok(rows > 0, 'rows before the error were delivered');
      const { rows: after } = await client.query('select 1 as ok');
      assert.equal(after[0].ok, 1);
    } finally {
      client.release();
    }
  });

  test('a connection lost during the copy rejects instead of waiting for ever', { timeout: 30_000 }, async () => {
    const client = await pool.connect();
    const pid = (await client.query('select pg_backend_pid() as pid')).rows[0].pid as number;
    client.on('error', () => {}); // the pool's client reports the lost connection here too
    let killed: Promise<unknown> | null = null;
    try {
      await assert.rejects(
        copyOut(client, `copy (select i, repeat('y', 500) from generate_series(1, 20000000) i) to stdout (format binary)`, () => {
          killed ??= pool.query('select pg_terminate_backend($1)', [pid]);
        }),
      );
      await killed;
    } finally {
      client.release(true);
    }
  });
});
