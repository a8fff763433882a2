import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { AUDITOR, compareEvents, createDatabase, EXPECTED_EVENTS, recordFigures, startFaultWorld, type FaultWorld } from './harness';
import type { RoleProcess } from './role-process';

/**
 * One executor's part in the kill test: open the world it runs in, submit an action whose operation the test
 * can hold in flight, say when it is held, let it go, and count its effects where they land. One more
 * executor is one more case.
 */
interface KillCase {
  executor: string;
  open(): Promise<FaultWorld>;
  submit(world: FaultWorld, api: RoleProcess): Promise<string>;
  whenHeld(world: FaultWorld): Promise<void>;
  release(world: FaultWorld): Promise<void>;
  /** Effects applied in all (distinct), for this action, and how often the operation was started. */
  effects(world: FaultWorld, id: string): Promise<{ distinct: number; forAction: number; deliveries: number }>;
  /** What else this executor's answer must show of the one effect. */
  checkResult(world: FaultWorld, id: string, result: { output?: string }): Promise<void>;
  close(): Promise<void>;
}

const http: KillCase = {
  executor: 'http',
  // The sink applies the first delivery and keeps its answer back, so the worker dies mid-request.
  open: () => startFaultWorld({ sink: { hold: () => true } }),
  submit: (world, api) => world.submit(api, 'fault.run', 1),
  whenHeld: (world) => world.sink.waitFor(() => world.sink.heldCount === 1),
  release: async (world) => world.sink.releaseHeld(), // written to a socket nobody reads any more
  effects: async (world, id) => ({ distinct: world.sink.effects.size, forAction: world.sink.effects.get(id) ?? 0, deliveries: world.sink.deliveries.get(id) ?? 0 }),
  async checkResult(world, id, result) {
    assert.ok(world.sink.requests.every((r) => r.headers['idempotency-key'] === id && r.signatureValid), 'every delivery signed, with the action id as key');
    assert.equal(JSON.parse(result.output!).replayed, true, 'the recorded answer is the receiver replaying the first, not a second effect');
  },
  close: async () => {},
};

/**
 * The same http kill through a target whose timeout (2 s) makes an auto-allowed call a local activity: the call runs
 * inside the workflow task, so the dead worker's task must time out (10 s) before a new worker replays the workflow
 * and makes the call again, with the same Idempotency-Key. The submission's answer waits on that workflow task, so
 * the action id is read from the held request's Idempotency-Key.
 */
const httpLocal: KillCase = {
  ...http,
  executor: 'http (2 s target: a local activity)',
  open: () => startFaultWorld({ sink: { hold: () => true }, extraTargets: (base) => ['  quick:', '    type: http', `    url: ${base}`, '    timeout: 2s', '    retry: {attempts: 3, max_interval: 1s}', ''].join('\n') }),
  async submit(world, api) {
    void world.submitExecute(api, 1, { type: 'http', target: 'quick', path: '/run', body: { n: 1 } }).catch(() => {});
    await world.sink.waitFor(() => world.sink.heldCount === 1);
    return String(world.sink.requests[0].headers['idempotency-key']);
  },
  async checkResult(world, id, result) {
    await http.checkResult(world, id, result);
    const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
    try {
      const events = (await new Client({ connection }).workflow.getHandle(id).fetchHistory()).events ?? [];
      assert.equal(events.filter((e) => e.activityTaskScheduledEventAttributes).length, 0, 'no activity task: the executor ran as a local activity');
      assert.equal(events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length, 3, 'three local activities: two audit steps and the executor');
      assert.ok(events.some((e) => e.workflowTaskTimedOutEventAttributes), "the dead worker's workflow task timed out");
    } finally {
      await connection.close();
    }
  },
};

/**
 * The postgres target is a second real database with one counter row. The test holds that row locked in an
 * open transaction, so the executor's transaction (ledger row inserted, `update` waiting on the lock) is in
 * flight when the worker dies; the dead client's transaction rolls back, and the retry must add exactly one.
 */
function postgresCase(): KillCase {
  const admin = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  let target: Awaited<ReturnType<typeof createDatabase>>;
  let holder: pg.Client;
  let reader: pg.Pool;
  return {
    executor: 'postgres',
    async open() {
      target = await createDatabase(admin);
      reader = new pg.Pool({ connectionString: target.url, max: 2 });
      await reader.query('create table counters(id text primary key, n int not null)');
      await reader.query("insert into counters values ('c1', 0)");
      holder = new pg.Client({ connectionString: target.url });
      await holder.connect();
      await holder.query('begin');
      await holder.query("select n from counters where id = 'c1' for update");
      const ledgerDb = ['  ledger-db:', '    type: postgres', `    url: "${target.url}"`, '    timeout: 60s', '    statements:', '      bump: {sql: "update counters set n = n + 1 where id = $1", params: [text]}', ''].join('\n');
      return startFaultWorld({ extraTargets: ledgerDb });
    },
    submit: (world, api) => world.submitExecute(api, 1, { type: 'postgres', target: 'ledger-db', statement: 'bump', args: ['c1'] }),
    async whenHeld() {
      const end = Date.now() + 60_000;
      const blocked = "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like 'update counters%'";
      while ((await reader.query(blocked)).rows[0].n !== 1) {
        if (Date.now() > end) throw new Error('the executor never reached the locked row');
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    release: async () => {
      await holder.query('commit');
    },
    async effects(world, id) {
      const ledger = await reader.query('select action_id from interlock_ledger');
      const { rows } = await reader.query("select n from counters where id = 'c1'");
      const forAction = ledger.rows.some((r) => r.action_id === id) ? (rows[0].n as number) : 0;
      return { distinct: ledger.rows.length, forAction, deliveries: await executorAttempts(world, id) };
    },
    async checkResult(_world, id, result) {
      const { rows } = await reader.query('select row_count from interlock_ledger where action_id = $1', [id]);
      assert.deepEqual(rows, [{ row_count: 1 }], 'the ledger row committed with the statement, counting its one row');
      assert.match(JSON.stringify(result), /rowCount\W+1\b/, 'the recorded result says one row changed');
    },
    async close() {
      await holder?.end().catch(() => {});
      await reader?.end();
      await target?.drop();
    },
  };
}

/** How many times Temporal started the executor activity of action `id`: the last attempt's number. */
async function executorAttempts(world: FaultWorld, id: string): Promise<number> {
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  try {
    const history = await new Client({ connection }).workflow.getHandle(id).fetchHistory();
    const attempts = (history.events ?? []).map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0);
    return Math.max(0, ...attempts);
  } finally {
    await connection.close();
    void world;
  }
}

for (const c of [http, httpLocal, postgresCase()]) {
  describe(`a worker killed with SIGKILL while the ${c.executor} target holds the operation open`, () => {
    let world: FaultWorld;
    before(async () => {
      world = await c.open();
    });
    after(async () => {
      await world?.close();
      await c.close();
    });

    test('a new worker retries the same operation: exactly one effect, and the action succeeded', async () => {
      const started = Date.now();
      const [api, first] = await Promise.all([world.start('api'), world.start('worker')]);
      const id = await c.submit(world, api);
      await c.whenHeld(world);
      await first.kill();
      assert.equal(await first.exited, 'SIGKILL');
      await c.release(world);

      await world.start('worker');
      await world.until([id], 'succeeded', 90_000);
      const action = (await world.call(api, AUDITOR, 'GET', `/v1/actions/${id}`)).body;
      assert.equal(action.status, 'succeeded');
      const effects = await c.effects(world, id);
      assert.deepEqual({ distinct: effects.distinct, forAction: effects.forAction }, { distinct: 1, forAction: 1 }, 'one effect, of this action');
      assert.ok(effects.deliveries >= 2, `the new worker ran the operation again (deliveries or attempts: ${effects.deliveries})`);
      await c.checkResult(world, id, action.result);

      const events = compareEvents((await world.eventCounts([id])).byAction, EXPECTED_EVENTS['fault.run']);
      assert.equal(events.firstDifference, null, 'each step recorded once: one execution.started, one execution.succeeded');
      const verify = await world.verifyAudit();
      assert.equal(verify.code, 0, verify.output);
      recordFigures({ test: `worker-killed-${c.executor}`, actions: 1, effectsPerAction: effects.forAction, lostEvents: events.lost, deliveries: effects.deliveries, seconds: (Date.now() - started) / 1000 });
    });
  });
}
