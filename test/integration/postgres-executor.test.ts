import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import pg from 'pg';
import { createActivities } from '../../activities';
import type { ActionResult } from '../../domain/action';
import { freshDatabase } from '../support/database';
import { startStack, type TestStack } from '../support/stack';
import { postgresTarget, staticTargets } from '../support/targets';

const BOT = 'svc:etl-bot';
const BOB = 'bob@example.com'; // data-owners and admins
const AUDITOR = 'dave@example.com';
/** The target's password: trust auth ignores it, so it plays the credential nobody may see. */
const SECRET = `pw-${Math.random().toString(36).slice(2, 10)}-never-shown`;
const ENV = `BILLING_DB_URL_${process.pid}`;
const DOWN_ENV = `DOWN_DB_URL_${process.pid}`;
const LAGGY_ENV = `LAGGY_DB_URL_${process.pid}`;

const policy = `version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - id: refunds
    when: action == "billing.refund"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 1}
  - id: automatic
    when: action.startsWith("pg.") || action == "svc.call"
    decision: allow
`;

const statements = {
  refund_invoice: { sql: "update invoices set status = 'refunded' where id = $1", params: ['text' as const] },
  record_effect: { sql: 'insert into effects(note) values ($1)', params: ['text' as const] },
  typed_insert: { sql: 'insert into typed values ($1, $2, $3, $4, $5, $6, $7, $8) returning *', params: ['text', 'int', 'bigint', 'numeric', 'bool', 'uuid', 'timestamptz', 'jsonb'] as const },
  broken: { sql: 'update no_such_table set x = 1', params: [] },
  slow: { sql: 'select pg_sleep(30)', params: [] },
};

describe('the postgres executor runs one named statement once, on a second real database', () => {
  let stack: TestStack;
  let targetDb: Awaited<ReturnType<typeof freshDatabase>>;
  let db: pg.Pool;
  let slowSink: { server: Server; url: string; hostPort: string; opened: number; aborted: number };
  let targets: ReturnType<typeof staticTargets>;
  /** The targets as operators configured them; a test may swap the billing statements and put them back. */
  const configured = (billing: Record<string, unknown> = statements) => [
    postgresTarget({ name: 'billing-db', url: `\${env:${ENV}}`, statements: billing as never, timeoutSeconds: 60 }),
    postgresTarget({ name: 'impatient-db', url: `\${env:${ENV}}`, statements: { slow: statements.slow }, timeoutSeconds: 1, retry: { attempts: 1, maxIntervalSeconds: 1 } }),
    postgresTarget({ name: 'down-db', url: `\${env:${DOWN_ENV}}`, statements: { refund_invoice: statements.refund_invoice }, retry: { attempts: 2, maxIntervalSeconds: 1 } }),
    { type: 'http' as const, name: 'exporter', url: 'https://exporter.example.com/', headers: {}, timeoutSeconds: 30, retry: { attempts: 2, maxIntervalSeconds: 1 } },
    ...(slowSink ? [{ type: 'http' as const, name: 'slow', url: `http://${slowSink.hostPort}/`, headers: {}, timeoutSeconds: 30, retry: { attempts: 2, maxIntervalSeconds: 1 } }] : []),
  ];

  before(async () => {
    targetDb = await freshDatabase();
    const withPassword = new URL(targetDb.url!);
    withPassword.password = SECRET;
    process.env[ENV] = withPassword.toString();
    process.env[DOWN_ENV] = `postgres://postgres:${SECRET}@127.0.0.1:1/nothing`;
    db = new pg.Pool({ connectionString: targetDb.url, max: 2 });
    await db.query(`create table invoices(id text primary key, status text not null);
      insert into invoices values ('inv_1', 'open'), ('inv_2', 'open'), ('inv_3', 'open');
      create table effects(note text);
      create table typed(t text, i int, b bigint, n numeric, f bool, u uuid, ts timestamptz, j jsonb);`);
    slowSink = await startSlowSink();
    targets = staticTargets(configured());
    stack = await startStack({ policy, targetSource: targets, env: { INTERLOCK_HTTP_ALLOW_PRIVATE: slowSink.hostPort } });
  });
  after(async () => {
    await stack?.stop();
    await db?.end();
    await targetDb?.drop();
    await new Promise((r) => slowSink?.server.close(r));
  });

  const pgExecute = (statement: string, args: unknown[] = [], target = 'billing-db') => ({ type: 'postgres', target, statement, args });
  const waitDone = async (id: string) => (await stack.call(BOT, 'GET', `/v1/actions/${id}/wait?timeout=60`)).body;
  const ledger = async (id: string) => (await db.query('select action_id, row_count from interlock_ledger where action_id = $1', [id])).rows;
  const auditOf = async (id: string) => (await stack.call(AUDITOR, 'GET', `/v1/actions/${id}/audit`)).body.items as { type: string; actor: string; data: any }[];

  test('an approved action runs its statement once: one ledger row, one effect, the row count recorded', async () => {
    const a = await stack.submit(BOT, { action: 'billing.refund', resource: 'billing://invoices/inv_1', execute: pgExecute('refund_invoice', ['inv_1']) });
    assert.equal(a.execute.sql, statements.refund_invoice.sql, 'approvers see the SQL that will run');
    await stack.until(BOT, a.id, (x) => x.status === 'pending_approval');
    assert.equal((await db.query("select status from invoices where id = 'inv_1'")).rows[0].status, 'open', 'nothing runs before approval');
    await stack.call(BOB, 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve' });
    const done = await waitDone(a.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.deepEqual(done.result.output, { rowCount: 1, rows: [], truncated: false, alreadyRan: false });
    assert.equal((await db.query("select status from invoices where id = 'inv_1'")).rows[0].status, 'refunded');
    assert.deepEqual(await ledger(a.id), [{ action_id: a.id, row_count: 1 }]);
    assert.deepEqual((await auditOf(a.id)).map((e) => e.type).slice(-3), ['action.approved', 'execution.started', 'execution.succeeded']);
  });

  test('the activity run again after its commit (a result lost with its worker) does not run the statement again', async () => {
    const a = await stack.submit(BOT, { action: 'pg.effect', resource: 'billing://effects', execute: pgExecute('record_effect', ['once']) });
    assert.equal((await waitDone(a.id)).status, 'succeeded');
    const acts = createActivities({ db: stack.services.database.db, audit: stack.services.audit, policy: stack.services.policy, webhookSecret: undefined, targets: stack.services.targets });
    const again: ActionResult = await new MockActivityEnvironment({ attempt: 2 }).run(acts.runExecutor, { actionId: a.id, execute: pgExecute('record_effect', ['once']) as never });
    assert.deepEqual({ ...(again.output as object), executedAt: undefined }, { rowCount: 1, rows: [], truncated: false, alreadyRan: true, executedAt: undefined });
    // And twice by hand, for an action id the workflow never ran: the first run has the effect, the second finds the ledger row.
    const direct = { actionId: `act_direct_${process.pid}`, execute: pgExecute('record_effect', ['direct']) as never };
    assert.equal(((await new MockActivityEnvironment().run(acts.runExecutor, direct) as ActionResult).output as { alreadyRan: boolean }).alreadyRan, false);
    assert.equal(((await new MockActivityEnvironment({ attempt: 2 }).run(acts.runExecutor, direct) as ActionResult).output as { alreadyRan: boolean }).alreadyRan, true);
    assert.deepEqual((await db.query('select note, count(*)::int as n from effects group by note order by note')).rows, [{ note: 'direct', n: 1 }, { note: 'once', n: 1 }]);
  });

  test('every type is bound as a parameter: the row holds exactly the values submitted, and the bounded result is recorded', async () => {
    const args = ["it's; drop table invoices; --", 42, '9007199254740993', '12.50', true, '6f1c2d1e-8a2b-4c3d-9e4f-0a1b2c3d4e5f', '2026-11-30T12:00:00Z', { lines: [1, 2], note: null }];
    const a = await stack.submit(BOT, { action: 'pg.typed', resource: 'billing://typed', execute: pgExecute('typed_insert', args) });
    const done = await waitDone(a.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    const [row] = (await db.query('select t, i, b::text, n::text, f, u::text, ts, j from typed')).rows;
    assert.deepEqual(row, { t: args[0], i: 42, b: '9007199254740993', n: '12.50', f: true, u: args[5], ts: new Date('2026-11-30T12:00:00Z'), j: args[7] });
    assert.equal(done.result.output.rowCount, 1);
    assert.equal(done.result.output.rows[0].b, '9007199254740993', 'the returned row is kept, within its bounds');
    assert.equal((await db.query('select count(*)::int as n from invoices')).rows[0].n, 3, 'the text was data, not SQL');
  });

  test('a wrong argument is a 422 naming execute.args[i]; a wrong count names execute.args; nothing starts', async () => {
    const good = ['t', 1, 2, 3, false, '6f1c2d1e-8a2b-4c3d-9e4f-0a1b2c3d4e5f', '2026-11-30T12:00:00+01:00', {}];
    const wrong: [number, unknown][] = [[0, 5], [1, 2 ** 31], [1, 1.5], [1, '7'], [2, 'nine'], [3, 'NaN'], [4, 'true'], [5, 'not-a-uuid'], [6, '2026-02-30T00:00:00Z'], [6, '2026-11-30 12:00']];
    const before = (await stack.call(BOT, 'GET', '/v1/actions?limit=200')).body.items.length;
    for (const [i, value] of wrong) {
      const args: unknown[] = [...good];
      args[i] = value;
      const res = await stack.call(BOT, 'POST', '/v1/actions', { action: 'pg.typed', resource: 'billing://typed', execute: pgExecute('typed_insert', args) });
      assert.equal(res.status, 422, `args[${i}] = ${JSON.stringify(value)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'unprocessable');
      assert.deepEqual(res.body.error.details.map((d: any) => d.field), [`execute.args[${i}]`]);
    }
    const short = await stack.call(BOT, 'POST', '/v1/actions', { action: 'pg.typed', resource: 'billing://typed', execute: pgExecute('typed_insert', good.slice(0, 3)) });
    assert.equal(short.status, 422);
    assert.equal(short.body.error.details[0].field, 'execute.args');
    assert.match(short.body.error.message, /takes 8 arguments \(text, int, bigint, numeric, bool, uuid, timestamptz, jsonb\), got 3/);
    assert.equal((await stack.call(BOT, 'GET', '/v1/actions?limit=200')).body.items.length, before, 'a refused submission leaves nothing behind');
  });

  test('an unknown target, a target of another type, and an unknown statement are refused naming the field', async () => {
    const unknown = await stack.call(BOT, 'POST', '/v1/actions', { action: 'pg.x', resource: 'r', execute: pgExecute('refund_invoice', ['inv_1'], 'prod-db') });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.error.code, 'target_not_allowed');
    assert.equal(unknown.body.error.details[0].field, 'execute.target');
    const http = await stack.call(BOT, 'POST', '/v1/actions', { action: 'pg.x', resource: 'r', execute: pgExecute('refund_invoice', ['inv_1'], 'exporter') });
    assert.equal(http.body.error.code, 'target_not_allowed');
    assert.match(http.body.error.message, /is an http target, not postgres/);
    const statement = await stack.call(BOT, 'POST', '/v1/actions', { action: 'pg.x', resource: 'r', execute: pgExecute('drop_everything') });
    assert.equal(statement.status, 422);
    assert.equal(statement.body.error.details[0].field, 'execute.statement');
    assert.match(statement.body.error.message, /has no statement "drop_everything" \(its statements: refund_invoice, record_effect/);
    const proto = await stack.call(BOT, 'POST', '/v1/actions', { action: 'pg.x', resource: 'r', execute: pgExecute('constructor') });
    assert.equal(proto.status, 422, 'an inherited property is no statement');
  });

  test('a SQL error fails the action at once with the Postgres message, rolled back, no ledger row', async () => {
    const a = await stack.submit(BOT, { action: 'pg.broken', resource: 'r', execute: pgExecute('broken') });
    const done = await waitDone(a.id);
    assert.equal(done.status, 'failed');
    assert.match(done.result.error, /statement "broken" failed: relation "no_such_table" does not exist \(SQLSTATE 42P01\); rolled back/);
    assert.deepEqual(await ledger(a.id), []);
    const failed = (await auditOf(a.id)).find((e) => e.type === 'execution.failed');
    assert.match(failed?.data.error, /no_such_table/);
  });

  test('an unreachable target is retried within its schedule, then fails, naming no credential', async () => {
    const a = await stack.submit(BOT, { action: 'pg.down', resource: 'r', execute: pgExecute('refund_invoice', ['inv_1'], 'down-db') });
    const done = await waitDone(a.id);
    assert.equal(done.status, 'failed');
    assert.match(done.result.error, /the target database is unreachable: .*ECONNREFUSED/);
    const { events } = await stack.temporal.workflow.getHandle(a.id).fetchHistory();
    const failed = events!.find((e) => e.activityTaskFailedEventAttributes)!;
    assert.equal(failed.activityTaskFailedEventAttributes!.retryState, 4, 'RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED: retried, then out of the target\'s two attempts');
    assert.ok(!JSON.stringify(done).includes(SECRET));
  });

  test("a statement that outruns its target's timeout is stopped by statement_timeout and fails, rolled back", async () => {
    const a = await stack.submit(BOT, { action: 'pg.slow', resource: 'r', execute: pgExecute('slow', [], 'impatient-db') });
    const done = await waitDone(a.id);
    assert.equal(done.status, 'failed');
    assert.match(done.result.error, /statement "slow" ran longer than the target's timeout \(1 s, the try's connection included\) and was rolled back/);
    assert.deepEqual(await ledger(a.id), []);
  });

  test("one try never outlasts the target's timeout: a slow connection leaves the statement only what remains", async () => {
    // A proxy that holds each new connection 1.2 s before passing it on to Postgres (a far or busy database).
    const proxy = createNetServer((client) => {
      const timer = setTimeout(() => {
        const upstream = connect(Number(new URL(targetDb.url!).port || 5432), '127.0.0.1');
        client.pipe(upstream).pipe(client);
        upstream.on('error', () => client.destroy());
      }, 1200);
      client.on('error', () => undefined);
      client.on('close', () => clearTimeout(timer));
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const viaProxy = new URL(targetDb.url!);
    viaProxy.port = String((proxy.address() as AddressInfo).port);
    process.env[LAGGY_ENV] = viaProxy.toString();
    try {
      // 2 s for the try: 1.2 s to connect, then a statement of 1.5 s. Each fits alone, both together do not.
      const laggy = staticTargets([postgresTarget({ name: 'laggy-db', url: `\${env:${LAGGY_ENV}}`, statements: { nap: { sql: 'select pg_sleep(1.5)', params: [] } }, timeoutSeconds: 2, retry: { attempts: 1, maxIntervalSeconds: 1 } })]);
      const acts = createActivities({ db: stack.services.database.db, audit: stack.services.audit, policy: stack.services.policy, webhookSecret: undefined, targets: laggy as never });
      const actionId = `act_laggy_${process.pid}`;
      const started = Date.now();
      await assert.rejects(new MockActivityEnvironment().run(acts.runExecutor, { actionId, execute: pgExecute('nap', [], 'laggy-db') as never }), (err: Error & { type?: string }) => {
        assert.equal(err.type, 'StatementTimeout');
        assert.match(err.message, /statement "nap" ran longer than the target's timeout \(2 s, the try's connection included\) and was rolled back/);
        return true;
      });
      const took = Date.now() - started;
      assert.ok(took < 2_000 + 600, `the try took ${took} ms against a 2 s timeout (before: the connection's 1.2 s and then the statement's full 2 s)`);
      assert.deepEqual(await ledger(actionId), [], 'rolled back: no ledger row');
    } finally {
      delete process.env[LAGGY_ENV];
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  test('a statement edited in targets.yaml after its approval is not run: the approval was for the old SQL', async () => {
    const a = await stack.submit(BOT, { action: 'billing.refund', resource: 'billing://invoices/inv_3', execute: pgExecute('refund_invoice', ['inv_3']) });
    await stack.until(BOT, a.id, (x) => x.status === 'pending_approval');
    targets.set(configured({ ...statements, refund_invoice: { sql: "update invoices set status = 'void' where id = $1", params: ['text'] } }));
    try {
      await stack.call(BOB, 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve' });
      const done = await waitDone(a.id);
      assert.equal(done.status, 'failed');
      assert.match(done.result.error, /was changed in targets.yaml after it was approved; not run/);
      assert.equal((await db.query("select status from invoices where id = 'inv_3'")).rows[0].status, 'open');
      assert.deepEqual(await ledger(a.id), []);
    } finally {
      targets.set(configured());
    }
  });

  test('a cancel while `select pg_sleep(30)` runs stops the backend: cancelled, rolled back, no ledger row', async () => {
    const a = await stack.submit(BOT, { action: 'pg.slow', resource: 'r', execute: pgExecute('slow') });
    await stack.until(BOT, a.id, (x) => x.status === 'executing');
    const sleeping = () => db.query("select count(*)::int as n from pg_stat_activity where datname = current_database() and state = 'active' and query = 'select pg_sleep(30)'");
    for (let i = 0; i < 200 && (await sleeping()).rows[0].n === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await sleeping()).rows[0].n, 1, 'the statement is running');
    const started = Date.now();
    const res = await stack.call(BOT, 'POST', `/v1/actions/${a.id}/cancel`, { reason: 'too slow' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'cancelled');
    assert.ok(Date.now() - started < 10_000, `cancelled in ${Date.now() - started} ms, not after the 30 s sleep`);
    assert.match(res.body.statusReason, /^cancelled by svc:etl-bot while executing: too slow; the statement was stopped \(backend cancelled\) and its transaction rolled back/);
    assert.deepEqual(await ledger(a.id), []);
    assert.equal((await sleeping()).rows[0].n, 0, 'the backend no longer runs it');
    const event = (await auditOf(a.id)).find((e) => e.type === 'action.cancelled');
    assert.equal(event?.data.duringExecution, true);
    assert.deepEqual({ ...event?.data.executorReported, message: undefined }, { executor: 'postgres', backendCancelled: true, rolledBack: true, ledgerRow: false, message: undefined });
  });

  test('what runs is what was approved: a replayed Idempotency-Key with other arguments is 422 and changes nothing', async () => {
    const key = { 'idempotency-key': `refund-${process.pid}` };
    const first = await stack.call(BOT, 'POST', '/v1/actions', { action: 'billing.refund', resource: 'billing://invoices/inv_2', execute: pgExecute('refund_invoice', ['inv_2']) }, key);
    assert.equal(first.status, 202);
    await stack.until(BOT, first.body.id, (x) => x.status === 'pending_approval');
    const swapped = await stack.call(BOT, 'POST', '/v1/actions', { action: 'billing.refund', resource: 'billing://invoices/inv_2', execute: pgExecute('refund_invoice', ['inv_3']) }, key);
    assert.equal(swapped.status, 422);
    assert.equal(swapped.body.error.code, 'idempotency_key_reused');
    await stack.call(BOB, 'POST', `/v1/actions/${first.body.id}/decisions`, { decision: 'approve' });
    assert.equal((await waitDone(first.body.id)).status, 'succeeded');
    const { rows } = await db.query("select id, status from invoices where id in ('inv_2', 'inv_3') order by id");
    assert.deepEqual(rows, [{ id: 'inv_2', status: 'refunded' }, { id: 'inv_3', status: 'open' }]);
    assert.deepEqual(await ledger(first.body.id), [{ action_id: first.body.id, row_count: 1 }]);
  });

  test('an http call held open by a slow sink is aborted by a cancel, and the action ends cancelled', async () => {
    const a = await stack.submit(BOT, { action: 'svc.call', resource: 'svc://slow', execute: { type: 'http', url: slowSink.url, body: { n: 1 } } });
    for (let i = 0; i < 200 && slowSink.opened === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(slowSink.opened, 1, 'the sink holds the request');
    const res = await stack.call(BOB, 'POST', `/v1/actions/${a.id}/cancel`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'cancelled');
    assert.match(res.body.statusReason, /while executing; the request was aborted before its answer/);
    for (let i = 0; i < 100 && slowSink.aborted === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(slowSink.aborted, 1, 'the executor closed the request');
    assert.equal((await auditOf(a.id)).find((e) => e.type === 'action.cancelled')?.actor, BOB);
  });

  test("the target's connection string and password appear in no history, audit event or API response", async () => {
    const items = (await stack.call(AUDITOR, 'GET', '/v1/actions?limit=200')).body.items as { id: string }[];
    assert.ok(items.length >= 8);
    const seen: string[] = [JSON.stringify(items), JSON.stringify((await stack.call(AUDITOR, 'GET', '/v1/audit?limit=1000')).body)];
    for (const { id } of items) {
      seen.push(JSON.stringify(await stack.temporal.workflow.getHandle(id).fetchHistory()));
      seen.push(JSON.stringify((await stack.call(BOT, 'GET', `/v1/actions/${id}`)).body));
    }
    for (const text of seen) {
      assert.ok(!text.includes(SECRET), 'the password is nowhere');
      assert.ok(!text.includes(targetDb.url!.replace(/^postgres:\/\/[^@]*@/, '')), 'nor the database address');
    }
  });
});

/** A receiver that never answers: it holds each request open until the caller goes away, and counts both. */
async function startSlowSink() {
  const sink = { server: createServer(), url: '', hostPort: '', opened: 0, aborted: 0 };
  sink.server.on('request', (req, res) => {
    sink.opened += 1;
    res.on('close', () => {
      if (!res.writableEnded) sink.aborted += 1;
    });
  });
  await new Promise<void>((r) => sink.server.listen(0, '127.0.0.1', r));
  const { port } = sink.server.address() as { port: number };
  sink.url = `http://127.0.0.1:${port}/run`;
  sink.hostPort = `127.0.0.1:${port}`;
  return sink;
}
