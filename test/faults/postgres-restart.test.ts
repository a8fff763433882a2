import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AUDITOR, compareEvents, EXPECTED_EVENTS, inParallel, recordFigures, REQUESTER, startFaultWorld, type FaultWorld } from './harness';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres';

const ACTIONS = 60;
/** Effects applied (so events are being written) when Postgres is stopped. */
const CRASH_AFTER = 15;

describe('Postgres stopped while actions write their audit events, then started again', () => {
  let postgres: PrivatePostgres;
  let world: FaultWorld;
  before(async () => {
    postgres = await startPrivatePostgres();
    world = await startFaultWorld({ postgresAdminUrl: postgres.url });
  });
  after(async () => {
    await world?.close();
    await postgres?.destroy();
  });

  test('no event is lost and the chain is intact: every action succeeded and wrote each of its events once', async () => {
    const started = Date.now();
    const [api] = await Promise.all([world.start('api'), world.start('worker')]);
    await Promise.all([world.token(REQUESTER), world.token(AUDITOR)]); // tokens are stored before the database goes away

    const ids: string[] = [];
    let refusals = 0;
    let readyzWhileDown: any = null;
    let retrying: Record<string, number> = {};
    let downMs = 0;
    const retriedSteps = () => retrying.recordStep > 0 || world.logged(/audit step not written; retried/);
    const outage = (async () => {
      await world.sink.waitFor(() => world.sink.effects.size >= CRASH_AFTER);
      await postgres.crash();
      const since = Date.now();
      const res = await fetch(`${api.url}/readyz`);
      const body = (await res.json()) as any;
      readyzWhileDown = { status: res.status, database: body.checks?.database?.ok, error: body.error?.code, names: body.error?.details?.map((d: { field: string }) => d.field) };
      // Down until audit writes have failed against the outage and are being retried: audit steps are local
      // activities (retried in the worker, which logs each failed try); histories before them, server-side ones.
      while (!retriedSteps() && Date.now() - since < 20_000) {
        retrying = await world.retryingActivities();
        await new Promise((r) => setTimeout(r, 100));
      }
      await postgres.start();
      downMs = Date.now() - since;
    })();
    await inParallel([...Array(ACTIONS).keys()], 4, async (n) => {
      const accepted = await world.submitUntilAccepted(api, 'fault.run', n);
      ids.push(accepted.id);
      refusals += accepted.refusals;
    });
    await outage;
    assert.ok(retriedSteps(), `audit writes failed during the outage and were retried (server-side retries: ${JSON.stringify(retrying)})`);
    assert.deepEqual(readyzWhileDown, { status: 503, database: false, error: 'unavailable', names: ['database'] }, 'the API saw the database down, and said so in the contract error');
    assert.ok(world.sink.effects.size < ACTIONS, `Postgres was stopped while actions were still running (${world.sink.effects.size} of ${ACTIONS} had run)`);

    await world.until(ids, 'succeeded');
    assert.deepEqual(await world.liveStatuses(api, ids), { succeeded: ACTIONS });
    assert.equal(new Set(ids).size, ACTIONS, 'a repeated submission is the same action');
    assert.equal(world.sink.effects.size, ACTIONS, 'one effect per action');

    const { total, byAction } = await world.eventCounts(ids);
    const events = compareEvents(byAction, EXPECTED_EVENTS['fault.run']);
    assert.deepEqual({ lost: events.lost, extra: events.extra }, { lost: 0, extra: 0 }, events.firstDifference ?? '');
    assert.equal(total, ACTIONS * EXPECTED_EVENTS['fault.run'].length);
    const verify = await world.verifyAudit();
    assert.equal(verify.code, 0, verify.output);
    assert.equal(verify.count, total);
    recordFigures({ test: 'postgres-restart', actions: ACTIONS, effectsPerAction: world.sink.effects.size / ACTIONS, lostEvents: events.lost, retriedWrites: retrying.recordStep, refusedWhileDown: refusals, downMs, seconds: (Date.now() - started) / 1000 });
  });
});
