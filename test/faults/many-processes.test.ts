import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { compareEvents, EXPECTED_EVENTS, inParallel, recordFigures, startFaultWorld, type FaultWorld } from './harness';

/** The 500 under `npm run test:faults`; `npm test` (FAULT_QUICK) runs the same path over 100 to keep the suite short. */
const ACTIONS = process.env.FAULT_QUICK ? 100 : 500;

describe('two API processes and two worker processes at once', () => {
  let world: FaultWorld;
  before(async () => {
    world = await startFaultWorld();
  });
  after(() => world?.close());

  test(`${ACTIONS} actions through both APIs alternately: all succeeded, one effect each, one audit chain`, async () => {
    const started = Date.now();
    // All four start together on an empty database: they take turns at the migrations.
    const [apiA, apiB] = await Promise.all([world.start('api'), world.start('api'), world.start('worker'), world.start('worker')]);
    const ids: string[] = [];
    await inParallel([...Array(ACTIONS).keys()], 16, async (n) => void ids.push(await world.submit(n % 2 === 0 ? apiA : apiB, 'fault.run', n)));
    await world.until(ids, 'succeeded', 240_000);
    assert.deepEqual(await world.liveStatuses(apiB, ids), { succeeded: ACTIONS });

    assert.equal(world.sink.effects.size, ACTIONS, 'one effect per action');
    assert.ok([...world.sink.effects.keys()].every((k) => ids.includes(k)), 'no effect for a key that is not an action');
    const redeliveries = [...world.sink.deliveries.values()].reduce((n, d) => n + d - 1, 0);

    const { total, byAction } = await world.eventCounts(ids);
    const events = compareEvents(byAction, EXPECTED_EVENTS['fault.run']);
    assert.deepEqual({ lost: events.lost, extra: events.extra }, { lost: 0, extra: 0 }, events.firstDifference ?? '');
    const { rows } = await world.db.query('select min(seq)::int as first, max(seq)::int as last, count(*)::int as n from audit_events');
    assert.deepEqual(rows[0], { first: 1, last: total, n: total }, 'one chain: seq 1..n with no gap');
    const verify = await world.verifyAudit();
    assert.equal(verify.code, 0, verify.output);
    assert.equal(verify.count, ACTIONS * EXPECTED_EVENTS['fault.run'].length);

    const workers = await activityWorkers(world, ids.slice(0, 40));
    assert.equal(workers.size, 2, `both workers ran activities (${[...workers].join(', ')})`);
    recordFigures({ test: 'many-processes', actions: ACTIONS, effectsPerAction: world.sink.effects.size / ACTIONS, lostEvents: events.lost, redeliveries, workers: workers.size, seconds: (Date.now() - started) / 1000 });
  });
});

/** The identities of the workers that started activities of these workflows, from their histories. */
async function activityWorkers(world: FaultWorld, ids: string[]): Promise<Set<string>> {
  const connection = await Connection.connect({ address: world.env().TEMPORAL_ADDRESS! });
  try {
    const temporal = new Client({ connection });
    const identities = new Set<string>();
    await inParallel(ids, 8, async (id) => {
      const history = await temporal.workflow.getHandle(id).fetchHistory();
      for (const e of history.events ?? []) if (e.activityTaskStartedEventAttributes?.identity) identities.add(e.activityTaskStartedEventAttributes.identity);
    });
    return identities;
  } finally {
    await connection.close();
  }
}
