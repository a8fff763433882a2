import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { compareEvents, EXPECTED_EVENTS, recordFigures, startFaultWorld, type FaultWorld } from './harness';

describe('a worker killed with SIGKILL while the target holds the request open', () => {
  let world: FaultWorld;
  before(async () => {
    // The sink applies the first delivery and keeps its answer back, so the worker dies mid-request.
    world = await startFaultWorld({ sink: { hold: () => true } });
  });
  after(() => world?.close());

  test('a new worker retries with the same Idempotency-Key: exactly one effect, and the action succeeded', async () => {
    const started = Date.now();
    const [api, first] = await Promise.all([world.start('api'), world.start('worker')]);
    const id = await world.submit(api, 'fault.run', 1);
    await world.sink.waitFor(() => world.sink.heldCount === 1);
    await first.kill();
    assert.equal(await first.exited, 'SIGKILL');
    world.sink.releaseHeld(); // written to a socket nobody reads any more

    await world.start('worker');
    await world.until([id], 'succeeded', 90_000);

    const action = (await world.call(api, 'dave@example.com', 'GET', `/v1/actions/${id}`)).body;
    assert.equal(action.status, 'succeeded');
    assert.deepEqual([...world.sink.effects.keys()], [id], 'one distinct key applied: this action');
    assert.equal(world.sink.effects.get(id), 1);
    assert.ok(world.sink.deliveries.get(id)! >= 2, `the new worker delivered again (deliveries: ${world.sink.deliveries.get(id)})`);
    assert.ok(world.sink.requests.every((r) => r.headers['idempotency-key'] === id && r.signatureValid), 'every delivery signed, with the action id as key');
    assert.equal(JSON.parse(action.result.output).replayed, true, 'the recorded answer is the receiver replaying the first, not a second effect');

    const events = compareEvents((await world.eventCounts([id])).byAction, EXPECTED_EVENTS['fault.run']);
    assert.equal(events.firstDifference, null, 'each step recorded once: one execution.started, one execution.succeeded');
    const verify = await world.verifyAudit();
    assert.equal(verify.code, 0, verify.output);
    recordFigures({ test: 'worker-killed', actions: 1, effectsPerAction: world.sink.effects.size, lostEvents: events.lost, deliveries: world.sink.deliveries.get(id), seconds: (Date.now() - started) / 1000 });
  });
});
