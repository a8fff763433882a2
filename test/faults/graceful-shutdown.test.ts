import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { compareEvents, EXPECTED_EVENTS, inParallel, REQUESTER, startFaultWorld, type FaultWorld } from './harness';

const ACTIONS = process.env.FAULT_QUICK ? 40 : 200;

describe('SIGTERM drains a process under load: no request and no activity is lost', () => {
  let world: FaultWorld;
  before(async () => {
    // `quick`: the sink with a 2 s timeout, so each auto-allowed call is a local activity inside its workflow task.
    world = await startFaultWorld({ extraTargets: (base) => ['  quick:', '    type: http', `    url: ${base}`, '    timeout: 2s', ''].join('\n') });
  });
  after(() => world?.close());

  test('a worker stopped with SIGTERM mid-load exits cleanly; the other finishes the rest, each action once', async () => {
    const api = await world.start('api');
    const [leaving] = await Promise.all([world.start('worker'), world.start('worker')]);
    const ids: string[] = [];
    const submitting = inParallel([...Array(ACTIONS).keys()], 8, async (n) => void ids.push(await world.submit(api, 'fault.run', n)));
    await world.sink.waitFor(() => world.sink.effects.size >= 3); // activities are running on both workers
    const exit = await leaving.stop(); // SIGTERM; SIGKILL only after 20 s
    assert.equal(exit, 0, `the worker stopped cleanly within the bound: ${leaving.tail()}`);
    await submitting;
    await world.until(ids, 'succeeded', 180_000);
    assert.equal(world.sink.effects.size, ACTIONS, 'one effect per action');
    const { byAction } = await world.eventCounts(ids);
    const events = compareEvents(byAction, EXPECTED_EVENTS['fault.run']);
    assert.deepEqual({ lost: events.lost, extra: events.extra }, { lost: 0, extra: 0 }, events.firstDifference ?? '');
  });

  test('a worker stopped with SIGTERM while its workflow tasks hold local executor calls finishes them; each action once', async () => {
    const api = await world.start('api');
    const [leaving] = await Promise.all([world.start('worker'), world.start('worker')]);
    const before = world.sink.effects.size;
    const ids: string[] = [];
    const submitting = inParallel([...Array(ACTIONS).keys()], 8, async (n) => void ids.push(await world.submitExecute(api, 1000 + n, { type: 'http', target: 'quick', path: `/local/${n}`, body: { n } })));
    await world.sink.waitFor(() => world.sink.effects.size >= before + 3);
    const exit = await leaving.stop();
    assert.equal(exit, 0, `the worker stopped cleanly within the bound: ${leaving.tail()}`);
    await submitting;
    await world.until(ids, 'succeeded', 180_000);
    assert.deepEqual(ids.filter((id) => world.sink.effects.get(id) !== 1), [], 'one effect per action');
    const { byAction } = await world.eventCounts(ids);
    const events = compareEvents(byAction, EXPECTED_EVENTS['fault.run']);
    assert.deepEqual({ lost: events.lost, extra: events.extra }, { lost: 0, extra: 0 }, events.firstDifference ?? '');
  });

  test('an API stopped with SIGTERM mid-load answers every request it accepted; each accepted submission is an action', async () => {
    const [leaving, staying] = await Promise.all([world.start('api'), world.start('api'), world.start('worker')]);
    const token = await world.token(REQUESTER);
    const answers: Array<{ n: number; status: number | 'refused'; id?: string }> = [];
    let stopping: Promise<number | NodeJS.Signals> | null = null;
    await inParallel([...Array(ACTIONS).keys()], 8, async (n) => {
      if (n === Math.floor(ACTIONS / 3)) stopping = leaving.stop();
      const body = { action: 'fault.run', resource: `fault://api-${n}`, params: { n }, execute: { type: 'http', url: world.sink.url, body: { n } } };
      const res = await fetch(`${leaving.url}/v1/actions`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).catch(() => null);
      // A connection refused after the listener closed is a request never taken; anything taken is answered.
      if (!res) return void answers.push({ n, status: 'refused' });
      answers.push({ n, status: res.status, id: res.status === 202 ? ((await res.json()) as { id: string }).id : undefined });
    });
    assert.equal(await stopping, 0, `the API stopped cleanly within the bound: ${leaving.tail()}`);
    const taken = answers.filter((a) => a.status !== 'refused');
    assert.ok(taken.length > 0 && taken.length < ACTIONS, `some requests before the stop, some after (${taken.length} of ${ACTIONS})`);
    assert.deepEqual(taken.filter((a) => a.status !== 202), [], 'every request the API took was accepted, none failed');
    const ids = taken.map((a) => a.id!);
    await world.until(ids, 'succeeded', 180_000);
    assert.deepEqual(await world.liveStatuses(staying, ids), { succeeded: ids.length });
  });
});
