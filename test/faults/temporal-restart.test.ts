import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { findTemporalCli, startDevServer, type DevServer } from '../../devserver';
import { APPROVER, REQUESTER, compareEvents, EXPECTED_EVENTS, inParallel, recordFigures, startFaultWorld, type FaultWorld } from './harness';

const ACTIONS = 100;

describe('the Temporal dev server killed with SIGKILL and restarted from its SQLite file', () => {
  let world: FaultWorld;
  let server: DevServer;
  let dbFile: string;
  let port: number;
  const serve = () => startDevServer({ binary: process.env.TEMPORAL_CLI_PATH ?? findTemporalCli({}), dataDir: world.dir, port, uiPort: null, dbFile });
  before(async () => {
    world = await startFaultWorld();
    dbFile = path.join(world.dir, 'temporal.db');
    port = 21000 + Math.floor(Math.random() * 4000);
    server = await serve();
    world.temporalAddress = server.address;
  });
  after(async () => {
    await world?.close();
    await server?.stop();
  });

  test(`${ACTIONS} actions pending approval are all still pending after the restart, and all complete when approved`, async () => {
    const started = Date.now();
    const [api] = await Promise.all([world.start('api'), world.start('worker')]);
    const ids: string[] = [];
    await inParallel([...Array(ACTIONS).keys()], 10, async (n) => void ids.push(await world.submit(api, 'fault.approve', n)));
    await world.until(ids, 'pending_approval');

    await server.kill();
    // A submission while Temporal is down is refused and changes nothing: its Idempotency-Key is not kept, so the
    // same key with another body is a new action afterwards, not `idempotency_key_reused`.
    const key = { 'idempotency-key': `while-down-${Date.now()}` };
    const whileDown = await world.call(api, REQUESTER, 'POST', '/v1/actions', { action: 'fault.approve', resource: 'fault://down', params: { n: -1 } }, key);
    assert.equal(whileDown.status, 503, JSON.stringify(whileDown.body));
    server = await serve();

    // What Temporal itself holds after the restart: every workflow running, its status attribute pending.
    const connection = await Connection.connect({ address: server.address });
    try {
      const temporal = new Client({ connection });
      const statuses: Record<string, number> = {};
      await inParallel(ids, 16, async (id) => {
        const d = await temporal.workflow.getHandle(id).describe();
        const key = `${d.status.name}/${String(d.searchAttributes.InterlockStatus?.[0])}`;
        statuses[key] = (statuses[key] ?? 0) + 1;
      });
      assert.deepEqual(statuses, { 'RUNNING/pending_approval': ACTIONS });
    } finally {
      await connection.close();
    }
    // And through the API, which queries each workflow: the worker answers again.
    assert.deepEqual(await world.liveStatuses(api, ids), { pending_approval: ACTIONS });

    await inParallel(ids, 10, async (id) => {
      const res = await world.call(api, APPROVER, 'POST', `/v1/actions/${id}/decisions`, { decision: 'approve' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    });
    await world.until(ids, 'succeeded');
    assert.deepEqual(await world.liveStatuses(api, ids), { succeeded: ACTIONS });
    assert.equal(world.sink.effects.size, ACTIONS, 'one effect per action');
    assert.ok([...world.sink.effects.keys()].every((k) => ids.includes(k)));

    const events = compareEvents((await world.eventCounts(ids)).byAction, EXPECTED_EVENTS['fault.approve']);
    assert.deepEqual({ lost: events.lost, extra: events.extra }, { lost: 0, extra: 0 }, events.firstDifference ?? '');
    const verify = await world.verifyAudit();
    assert.equal(verify.code, 0, verify.output);
    assert.equal(verify.count, ACTIONS * EXPECTED_EVENTS['fault.approve'].length);
    // After the counts: the key refused while Temporal was down starts a new action now.
    const afterwards = await world.call(api, REQUESTER, 'POST', '/v1/actions', { action: 'fault.approve', resource: 'fault://down', params: { n: -2 } }, key);
    assert.equal(afterwards.status, 202, JSON.stringify(afterwards.body));
    await world.call(api, REQUESTER, 'POST', `/v1/actions/${afterwards.body.id}/cancel`, {});
    recordFigures({ test: 'temporal-restart', actions: ACTIONS, effectsPerAction: world.sink.effects.size / ACTIONS, lostEvents: events.lost, seconds: (Date.now() - started) / 1000 });
  });
});
