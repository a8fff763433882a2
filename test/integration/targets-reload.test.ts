import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { sinkTargets, startSink } from '../support/sink';
import { startStack, type TestStack } from '../support/stack';

const BOT = 'svc:etl-bot';
const SECRET = 'whsec_' + Buffer.from('interlock-test-secret-0123456789ab').toString('base64');

describe('targets.yaml is hot reloaded; a broken file keeps the last good version and /readyz says why', () => {
  let stack: TestStack;
  let first: Awaited<ReturnType<typeof startSink>>;
  let second: Awaited<ReturnType<typeof startSink>>;
  before(async () => {
    first = await startSink(SECRET);
    second = await startSink(SECRET);
    stack = await startStack({ targets: sinkTargets({ first }), env: { INTERLOCK_WEBHOOK_SECRET: SECRET, INTERLOCK_HTTP_ALLOW_PRIVATE: `${first.hostPort},${second.hostPort}` } });
  });
  after(async () => {
    await stack?.stop();
    await first?.close();
    await second?.close();
  });

  const submitTo = (target: string) => stack.call(BOT, 'POST', '/v1/actions', { action: 'read.x', resource: 'r', environment: 'staging', execute: { type: 'http', target, path: '/run' } });
  /** Polls `probe` (no fixed sleep) until it holds; the store polls the file every second. */
  const eventually = async (what: string, probe: () => Promise<boolean>) => {
    for (const end = Date.now() + 15_000; Date.now() < end; ) {
      if (await probe()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`not reached within 15 s: ${what}`);
  };

  test('a new target is usable once the file changes, without a restart', async () => {
    assert.equal((await submitTo('second')).status, 422);
    const ready = await stack.call(null, 'GET', '/readyz');
    assert.equal(ready.body.checks.targets.ok, true);
    const version = ready.body.checks.targets.version;
    writeFileSync(stack.targetsFile, sinkTargets({ first, second }));
    await eventually('the second target is loaded', async () => (await submitTo('second')).status === 202);
    assert.notEqual((await stack.call(null, 'GET', '/readyz')).body.checks.targets.version, version);
    await eventually('the action ran against the second sink', async () => second.requests.length === 1);
  });

  test('a broken file is reported by /readyz (still ready), naming line and key, while the last good version keeps serving', async () => {
    const good = (await stack.call(null, 'GET', '/readyz')).body.checks.targets;
    writeFileSync(stack.targetsFile, `targets:\n  first: {type: http, url: "${first.base}"}\n  second: {type: http, url: "${second.base}", timeout: forever}\n`);
    await eventually('/readyz reports the broken file', async () => (await stack.call(null, 'GET', '/readyz')).body.checks.targets.ok === false);
    // Still ready (issue 15): a bad edit must not pull every replica out of rotation at once; the body says why.
    const ready = await stack.call(null, 'GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.ok, true);
    assert.ok(ready.body.warnings.some((w: string) => /targets\.yaml:3: targets\.second\.timeout/.test(w)), JSON.stringify(ready.body.warnings));
    assert.equal(ready.body.checks.targets.version, good.version, 'the last good version is still in force');
    assert.match(ready.body.checks.targets.error, /targets\.yaml:3: targets\.second\.timeout: "forever" is not a duration/);
    const served = await submitTo('second');
    assert.equal(served.status, 202, 'the last good version still has the second target');

    writeFileSync(stack.targetsFile, sinkTargets({ first }));
    await eventually('the fixed file is loaded', async () => (await stack.call(null, 'GET', '/readyz')).body.checks.targets.ok === true);
    assert.deepEqual((await stack.call(null, 'GET', '/readyz')).body.warnings, []);
    assert.equal((await submitTo('second')).status, 422, 'a target removed from the file can no longer be named');
  });
});

describe("the repository's targets.yaml makes the README walkthrough's http action acceptable", () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack({ targets: readFileSync(new URL('../../targets.yaml', import.meta.url), 'utf8'), env: { INTERLOCK_WEBHOOK_SECRET: SECRET } });
  });
  after(() => stack?.stop());

  test('the rotation submission of the README passes every check, against the example policy and targets', async () => {
    const body = {
      action: 'secret.rotate', resource: 'vault://prod/payments/db', environment: 'production', justification: 'quarterly rotation',
      execute: { type: 'http', target: 'rotator', path: '/run', method: 'POST', body: { path: 'payments/db' } },
    };
    const dry = await stack.call(BOT, 'POST', '/v1/policy/evaluate', body);
    assert.equal(dry.status, 200);
    assert.deepEqual(dry.body.problems, []);
    assert.notEqual(dry.body.decision.outcome, 'deny');
    const submitted = await stack.call(BOT, 'POST', '/v1/actions', body);
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    assert.equal(submitted.body.execute.url, 'https://rotator.internal/run');
    assert.deepEqual(submitted.body.execute.setByTarget, ['Authorization']);
  });
});
