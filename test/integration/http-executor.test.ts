import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { sinkTargets, startSink } from '../support/sink';
import { startStack, type TestStack } from '../support/stack';

const policy = readFileSync(new URL('../fixtures/flow-policy.yaml', import.meta.url), 'utf8');
const BOT = 'svc:etl-bot';
type Sink = Awaited<ReturnType<typeof startSink>>;
const SECRET = 'whsec_' + Buffer.from('interlock-test-secret-0123456789ab').toString('base64');

describe('the http executor runs an approved operation once, signed, with the action id as Idempotency-Key', () => {
  let stack: TestStack;
  // The sinks listen on loopback, which the executor reaches only when listed: they start first so the stack can list them.
  const sinks: Record<string, Sink> = {};
  before(async () => {
    sinks.once = await startSink(SECRET);
    sinks.flaky = await startSink(SECRET, { failFirst: 2 });
    sinks.refusing = await startSink(SECRET, { status: 400 });
    sinks.retried = await startSink(SECRET);
    sinks.quick = await startSink(SECRET);
    sinks.quickFlaky = await startSink(SECRET, { failFirst: 2 });
    sinks.quickRefusing = await startSink(SECRET, { status: 400 });
    sinks.quickDown = await startSink(SECRET, { status: 503 });
    sinks.quickOnce = await startSink(SECRET);
    // A target that answers its headers and a first chunk at once, then nothing more.
    stalling = createServer((req, res) => {
      stalled.push(String(req.headers['idempotency-key']));
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('accepted, working');
    });
    await new Promise<void>((r) => stalling.listen(0, '127.0.0.1', r));
    const stallingAt = `127.0.0.1:${(stalling.address() as { port: number }).port}`;
    const short = 'timeout: 2s, retry: {attempts: 3, max_interval: 1s}';
    targetsYaml = (planned: string) =>
      sinkTargets(
        { ...sinks, quickStalling: { base: `http://${stallingAt}/` }, plannedStalling: { base: `http://${stallingAt}/` } },
        { quick: short, quickFlaky: short, quickRefusing: short, quickDown: 'timeout: 2s, retry: {attempts: 10, max_interval: 2s}', quickOnce: 'timeout: 2s, retry: {attempts: 1}', quickStalling: 'timeout: 1s, retry: {attempts: 2, max_interval: 1s}', plannedStalling: planned },
      );
    const targets = targetsYaml('timeout: 1s, retry: {attempts: 3, max_interval: 2s}');
    stack = await startStack({ policy, targets, env: { INTERLOCK_WEBHOOK_SECRET: SECRET, INTERLOCK_HTTP_ALLOW_PRIVATE: [...Object.values(sinks).map((k) => k.hostPort), stallingAt].join(',') } });
  });
  let stalling: Server;
  const stalled: string[] = [];
  let targetsYaml: (planned: string) => string;
  after(async () => {
    stalling?.closeAllConnections();
    stalling?.close();
    await stack?.stop();
    for (const sink of Object.values(sinks)) await sink.close();
  });

  const types = async (id: string) => (await stack.call('dave@example.com', 'GET', `/v1/actions/${id}/audit`)).body.items.map((e: any) => e.type);

  test('an approved action calls the sink exactly once with a valid signature', async () => {
    const sink = sinks.once;
    const a = await stack.submit(BOT, { action: 'db.export', resource: 'db://c', execute: { type: 'http', target: 'once', path: '/run', body: { table: 'customers' } } });
    await stack.until(BOT, a.id, (x) => x.status === 'pending_approval');
    await stack.call('bob@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve' });
    await stack.call('erin@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve' });
    const done = (await stack.call(BOT, 'GET', `/v1/actions/${a.id}/wait?timeout=30`)).body;
    assert.equal(done.status, 'succeeded');
    assert.equal(done.result.httpStatus, 200);
    assert.equal(sink.requests.length, 1);
    const [req] = sink.requests;
    assert.equal(req.path, '/run');
    assert.equal(req.headers['idempotency-key'], a.id);
    assert.equal(req.headers['webhook-id'], a.id);
    assert.equal(req.signatureValid, true);
    assert.deepEqual(JSON.parse(req.body), { table: 'customers' });
    assert.deepEqual((await types(a.id)).slice(-3), ['action.approved', 'execution.started', 'execution.succeeded']);
  });

  test('a sink that fails twice with 503 is retried with the same key and succeeds on the third call', async () => {
    const sink = sinks.flaky;
    const a = await stack.submit(BOT, { action: 'svc.call', resource: 'svc://x', execute: { type: 'http', url: sink.url, body: { n: 1 } } });
    const done = (await stack.call(BOT, 'GET', `/v1/actions/${a.id}/wait?timeout=60`)).body;
    assert.equal(done.status, 'succeeded');
    assert.equal(sink.requests.length, 3);
    assert.ok(sink.requests.every((r) => r.headers['idempotency-key'] === a.id && r.signatureValid));
    assert.equal(JSON.parse(done.result.output).times, 1, 'the operation took effect once');
    assert.equal((await types(a.id)).filter((t: string) => t === 'execution.started').length, 1);
  });

  test('a 4xx answer fails the action without a retry, and the status and output are recorded', async () => {
    const sink = sinks.refusing;
    const a = await stack.submit(BOT, { action: 'svc.call', resource: 'svc://x', execute: { type: 'http', url: sink.url } });
    const done = (await stack.call(BOT, 'GET', `/v1/actions/${a.id}/wait?timeout=30`)).body;
    assert.equal(done.status, 'failed');
    assert.equal(done.result.httpStatus, 400);
    assert.equal(sink.requests.length, 1);
    assert.ok((await types(a.id)).includes('execution.failed'));
  });

  // An auto-allowed call to a target with a short timeout runs inside the workflow task (a local activity).
  // The audit step that records the outcome runs inside the workflow task, so /wait can answer before that task
  // completes: the history is read once the workflow has closed.
  const historyOf = async (id: string) => {
    const handle = stack.temporal.workflow.getHandle(id);
    await handle.result().catch(() => undefined);
    return (await handle.fetchHistory()).events ?? [];
  };
  const executorMarkers = (events: Awaited<ReturnType<typeof historyOf>>) =>
    events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').map((e) => ({
      ...JSON.parse(Buffer.from(e.markerRecordedEventAttributes!.details!.data!.payloads![0].data!).toString()),
      failed: !!e.markerRecordedEventAttributes!.failure,
    })).filter((m) => m.activity_type === 'runExecutor');

  test('an auto-allowed call to a short-timeout target runs as a local activity: one workflow task, no activity task, exactly once', async () => {
    const sink = sinks.quick;
    const a = await stack.submit(BOT, { action: 'svc.call', resource: 'svc://q', execute: { type: 'http', target: 'quick', path: '/run', body: { n: 7 } } });
    const done = (await stack.call(BOT, 'GET', `/v1/actions/${a.id}/wait?timeout=30`)).body;
    assert.equal(done.status, 'succeeded');
    assert.equal(done.result.httpStatus, 200);
    assert.equal(sink.requests.length, 1);
    assert.equal(sink.requests[0].headers['idempotency-key'], a.id);
    assert.equal(sink.requests[0].signatureValid, true);
    const events = await historyOf(a.id);
    assert.equal(events.filter((e) => e.activityTaskScheduledEventAttributes).length, 0, 'no activity task');
    assert.equal(events.filter((e) => e.workflowTaskCompletedEventAttributes).length, 1, 'the whole action in one workflow task');
    assert.deepEqual(executorMarkers(events).map((m) => [m.attempt, m.failed]), [[1, false]]);
    assert.deepEqual((await types(a.id)).slice(-3), ['action.approved', 'execution.started', 'execution.succeeded']);
  });

  test("a local execution keeps the target's retry schedule and a refusal's status and output", async () => {
    const flaky = await stack.submit(BOT, { action: 'svc.call', resource: 'svc://q', execute: { type: 'http', target: 'quickFlaky', path: '/run' } });
    const retried = (await stack.call(BOT, 'GET', `/v1/actions/${flaky.id}/wait?timeout=30`)).body;
    assert.equal(retried.status, 'succeeded');
    assert.equal(sinks.quickFlaky.requests.length, 3);
    assert.ok(sinks.quickFlaky.requests.every((r) => r.headers['idempotency-key'] === flaky.id && r.signatureValid));
    // Each failed try is recorded, and the retry waits on a workflow timer, not inside the workflow task.
    const flakyHistory = await historyOf(flaky.id);
    assert.deepEqual(executorMarkers(flakyHistory).map((m) => [m.attempt, m.failed]), [[1, true], [2, true], [3, false]]);
    assert.equal(flakyHistory.filter((e) => e.timerStartedEventAttributes).length, 2, 'a timer before each retry');

    const refused = await stack.submit(BOT, { action: 'svc.call', resource: 'svc://q', execute: { type: 'http', target: 'quickRefusing', path: '/run' } });
    const failed = (await stack.call(BOT, 'GET', `/v1/actions/${refused.id}/wait?timeout=30`)).body;
    assert.equal(failed.status, 'failed');
    assert.equal(failed.result.httpStatus, 400, 'the local failure keeps its details');
    assert.equal(sinks.quickRefusing.requests.length, 1, 'a 4xx is not retried');
    assert.deepEqual(executorMarkers(await historyOf(refused.id)).map((m) => [m.attempt, m.failed]), [[1, true]]);
  });

  test("a target that sends its headers and then stalls is cut off at its timeout, body included, on every try", async () => {
    const t = Date.now();
    const a = await stack.submit(BOT, { action: 'svc.call', resource: 'svc://q', execute: { type: 'http', target: 'quickStalling', path: '/run' } });
    const done = (await stack.call(BOT, 'GET', `/v1/actions/${a.id}/wait?timeout=60`)).body;
    const took = Date.now() - t;
    assert.equal(done.status, 'failed');
    assert.match(done.result.error, /no answer within 1 s/);
    assert.deepEqual(stalled, [a.id, a.id], 'two tries, each with the action id as Idempotency-Key');
    assert.deepEqual(executorMarkers(await historyOf(a.id)).map((m) => [m.attempt, m.failed]), [[1, true], [2, true]]);
    // Each try ends at the target's 1 s, not at the local activity's start-to-close (1 s + 10 s margin).
    assert.ok(took < 10_000, `failed after ${took} ms`);
  });

  test("a target's timeout raised after submission does not lengthen the tries of an action planned before", async () => {
    const version = (await stack.call(null, 'GET', '/readyz')).body.checks.targets.version;
    const a = await stack.submit(BOT, { action: 'svc.call', resource: 'svc://q', execute: { type: 'http', target: 'plannedStalling', path: '/run' } });
    writeFileSync(stack.targetsFile, targetsYaml('timeout: 30s, retry: {attempts: 3, max_interval: 2s}'));
    for (let i = 0; (await stack.call(null, 'GET', '/readyz')).body.checks.targets.version === version; i++) {
      assert.ok(i < 100, 'the edited targets.yaml was loaded');
      await new Promise((r) => setTimeout(r, 50));
    }
    const done = (await stack.call(BOT, 'GET', `/v1/actions/${a.id}/wait?timeout=60`)).body;
    assert.equal(done.status, 'failed');
    // Its last try ran after the edit, still cut at the planned 1 s (not at the local activity's 11 s start-to-close).
    assert.match(done.result.error, /no answer within 1 s/);
    assert.deepEqual(executorMarkers(await historyOf(a.id)).map((m) => [m.attempt, m.failed]), [[1, true], [2, true], [3, true]]);
  });

  test('a cancel lands between local tries: no try is sent after it, and the action is cancelled', async () => {
    const sink = sinks.quickDown;
    const a = await stack.submit(BOT, { action: 'svc.call', resource: 'svc://q', execute: { type: 'http', target: 'quickDown', path: '/run' } });
    await stack.until(BOT, a.id, () => sink.requests.length >= 2);
    const t = Date.now();
    const cancel = await stack.call(BOT, 'POST', `/v1/actions/${a.id}/cancel`, { reason: 'target is down' });
    assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
    const cancelMs = Date.now() - t;
    const sent = sink.requests.length;
    const done = (await stack.call(BOT, 'GET', `/v1/actions/${a.id}/wait?timeout=30`)).body;
    assert.equal(done.status, 'cancelled');
    await new Promise((r) => setTimeout(r, 2500)); // longer than the retry interval
    assert.equal(sink.requests.length, sent, `no try after the cancel was accepted (${cancelMs} ms)`);
    assert.ok(sent < 10, 'the retries were stopped, not run out');
    assert.ok((await types(a.id)).includes('action.cancelled'));
  });

  test('a one-try target and a bare-URL call never run as local activities', async () => {
    const once = await stack.submit(BOT, { action: 'svc.call', resource: 'svc://q', execute: { type: 'http', target: 'quickOnce', path: '/run' } });
    const bare = await stack.submit(BOT, { action: 'svc.call', resource: 'svc://q', execute: { type: 'http', url: sinks.quickOnce.url, timeoutSeconds: 2 } });
    for (const id of [once.id, bare.id]) {
      assert.equal((await stack.call(BOT, 'GET', `/v1/actions/${id}/wait?timeout=30`)).body.status, 'succeeded');
      const events = await historyOf(id);
      assert.equal(events.filter((e) => e.activityTaskScheduledEventAttributes).length, 1, 'the executor is an activity');
      assert.deepEqual(executorMarkers(events), []);
    }
  });

  test('a retried execute activity after a recorded success does not call again', async () => {
    const sink = sinks.retried;
    const a = await stack.submit(BOT, { action: 'svc.call', resource: 'svc://x', execute: { type: 'http', url: sink.url } });
    await stack.until(BOT, a.id, (x) => x.status === 'succeeded');
    assert.equal(sink.requests.length, 1);
    const { createActivities } = await import('../../activities');
    const acts = createActivities({ db: stack.services.database.db, audit: stack.services.audit, policy: stack.services.policy, webhookSecret: SECRET, httpAllowPrivate: stack.services.config.httpAllowPrivate, targets: stack.services.targets });
    const { MockActivityEnvironment } = await import('@temporalio/testing');
    const again: { status: string } = await new MockActivityEnvironment({ attempt: 2 }).run(acts.executeHttp, { actionId: a.id, execute: { type: 'http' as const, url: sink.url } });
    assert.equal(again.status, 'succeeded');
    assert.equal(sink.requests.length, 1);
  });
});

describe('durability: a pending action survives its worker', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack({ policy });
  });
  after(() => stack?.stop());

  test('the worker stops while an action is pending; a new worker starts; the votes still complete it', async () => {
    const a = await stack.submit(BOT, { action: 'db.export', resource: 'db://c' });
    await stack.until(BOT, a.id, (x) => x.status === 'pending_approval');
    await stack.stopWorker();
    await stack.startWorker();
    const one = await stack.call('bob@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve' });
    assert.equal(one.status, 200);
    const two = await stack.call('erin@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve' });
    assert.equal(two.body.status, 'approved');
    const verify = await stack.call('dave@example.com', 'GET', '/v1/audit/verify');
    assert.equal(verify.body.ok, true);
  });
});
