import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import canonicalize from 'canonicalize';
import { createActivities } from '../../activities';
import { startSink } from '../support/sink';
import { startStack, type TestStack } from '../support/stack';

const policy = readFileSync(new URL('../fixtures/flow-policy.yaml', import.meta.url), 'utf8');
const BOT = 'svc:etl-bot';
const SECRET = 'whsec_' + Buffer.from('interlock-test-secret-0123456789ab').toString('base64');
type Sink = Awaited<ReturnType<typeof startSink>>;

describe('the http executor cannot be turned on Interlock itself or its network', () => {
  let stack: TestStack;
  let sink: Sink;
  let elsewhere: Sink;
  let redirecting: Sink;
  before(async () => {
    sink = await startSink(SECRET);
    elsewhere = await startSink(SECRET);
    redirecting = await startSink(SECRET, { status: 302, headers: { location: elsewhere.url } });
    // Only the sinks are listed: the Temporal frontend, Postgres and the rest of loopback stay unreachable.
    stack = await startStack({ policy, env: { INTERLOCK_WEBHOOK_SECRET: SECRET, INTERLOCK_HTTP_ALLOW_PRIVATE: [sink, elsewhere, redirecting].map((s) => s.hostPort).join(',') } });
  });
  after(async () => {
    await stack?.stop();
    for (const s of [sink, elsewhere, redirecting]) await s?.close();
  });

  const workflowsIn = async (environment: string) => {
    const ids: string[] = [];
    for await (const w of stack.temporal.workflow.list({ query: `InterlockEnvironment = "${environment}"` })) ids.push(w.workflowId);
    return ids;
  };

  test('an allowed read.* action aimed at the Temporal frontend, metadata, Postgres or userinfo is 422 target_not_allowed and starts nothing', async () => {
    const environment = `staging-ssrf-${process.pid}-${Date.now()}`; // one Temporal server serves every run: keep this run's actions apart
    const frontend = `http://${stack.services.config.temporalAddress}/api/v1/namespaces/default/workflows/act_x/update/decide`;
    const targets = [frontend, 'http://169.254.169.254/latest/meta-data/', 'http://[::ffff:169.254.169.254]/', 'http://[::ffff:a9fe:a9fe]/', 'http://2852039166/', 'http://localhost:5432/', 'http://[::1]:5432/', `http://user:pw@${sink.hostPort}/run`];
    for (const [i, url] of targets.entries()) {
      const key = `ssrf-${environment}-${i}`;
      const res = await stack.call(BOT, 'POST', '/v1/actions', { action: 'read.x', resource: 'r', environment, execute: { type: 'http', url, body: { decision: 'approve' } } }, { 'idempotency-key': key });
      assert.equal(res.status, 422, `${url}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'target_not_allowed');
      assert.equal(res.body.error.details[0].field, 'execute.url');
      assert.match(res.body.error.message, /address|loopback name|user name or password/);
      // No idempotency key was stored: the same key now starts the corrected action.
      const fixed = await stack.call(BOT, 'POST', '/v1/actions', { action: 'read.x', resource: 'r', environment: `${environment}-fixed` }, { 'idempotency-key': key });
      assert.equal(fixed.status, 202, JSON.stringify(fixed.body));
    }
    const metadata = await stack.call(BOT, 'POST', '/v1/actions', { action: 'read.x', resource: 'r', environment, execute: { type: 'http', url: 'http://169.254.169.254/' } });
    assert.match(metadata.body.error.message, /169\.254\.169\.254 is a link-local address; the http executor only calls public addresses or those listed in INTERLOCK_HTTP_ALLOW_PRIVATE/);

    // Visibility is eventually consistent: once a later, allowed action in the same environment is listed, no refused one is.
    const allowed = await stack.submit(BOT, { action: 'read.x', resource: 'r', environment, execute: { type: 'http', url: sink.url } });
    let listed: string[] = [];
    for (let i = 0; i < 100 && !listed.includes(allowed.id); i++) {
      listed = await workflowsIn(environment);
      if (!listed.includes(allowed.id)) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(listed, [allowed.id]);
  });

  test('the dry run lists the refused target among its problems', async () => {
    const res = await stack.call(BOT, 'POST', '/v1/policy/evaluate', { action: 'read.x', resource: 'r', environment: 'staging', execute: { type: 'http', url: 'http://169.254.169.254/' } });
    assert.equal(res.status, 200);
    assert.equal(res.body.problems[0].field, 'execute.url');
    assert.match(res.body.problems[0].message, /link-local/);
  });

  test('credential headers are refused with a 422 that says to configure them on the server', async () => {
    for (const name of ['Authorization', 'cookie', 'X-Api-Key', 'X-Vault-Token', 'Client-Secret']) {
      const res = await stack.call(BOT, 'POST', '/v1/actions', { action: 'read.x', resource: 'r', environment: 'staging', execute: { type: 'http', url: sink.url, headers: { [name]: 'Bearer s3cr3t' } } });
      assert.equal(res.status, 422, name);
      assert.equal(res.body.error.code, 'credential_in_request');
      assert.equal(res.body.error.details[0].field, `execute.headers.${name}`);
      assert.match(res.body.error.message, /server-side configuration, not in the request/);
      assert.doesNotMatch(JSON.stringify(res.body), /s3cr3t/);
    }
    for (const headers of [{ 'Content-Type': 'text/plain' }, { 'Webhook-Signature': 'v1,forged' }, { 'Idempotency-Key': 'other' }, { Host: 'internal' }, { 'X-Trace': 'a\r\nX-Injected: 1' }]) {
      const res = await stack.call(BOT, 'POST', '/v1/actions', { action: 'read.x', resource: 'r', environment: 'staging', execute: { type: 'http', url: sink.url, headers } });
      assert.equal(res.status, 422, JSON.stringify(headers));
      assert.equal(res.body.error.details[0].field, `execute.headers.${Object.keys(headers)[0]}`);
    }
    assert.equal(sink.requests.filter((r) => r.headers.authorization).length, 0);
  });

  test('a 302 is recorded as a failure and never followed', async () => {
    const a = await stack.submit(BOT, { action: 'svc.call', resource: 'svc://x', execute: { type: 'http', url: redirecting.url } });
    const done = (await stack.call(BOT, 'GET', `/v1/actions/${a.id}/wait?timeout=30`)).body;
    assert.equal(done.status, 'failed');
    assert.equal(done.result.httpStatus, 302);
    assert.equal(redirecting.requests.length, 1, 'not retried');
    assert.equal(elsewhere.requests.length, 0, 'the redirect target was never called');
  });

  test('approvers see method, URL and body, and the decision binds them with executeHash', async () => {
    const execute = { type: 'http', url: sink.url, method: 'PUT', body: { table: 'customers', rows: [1, 2] }, headers: { 'X-Request-Id': 'r1' } };
    const a = await stack.submit(BOT, { action: 'db.export', resource: 'db://c', execute });
    const pending = await stack.until(BOT, a.id, (x) => x.status === 'pending_approval');
    assert.deepEqual(pending.execute, { type: 'http', method: 'PUT', url: sink.url, body: { table: 'customers', rows: [1, 2] }, headers: { 'X-Request-Id': 'r1' } });
    assert.equal(pending.decision.executeHash, `sha256:${createHash('sha256').update(canonicalize(execute)!).digest('hex')}`);
    await stack.call('bob@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve' });
    await stack.call('erin@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve' });
    const done = (await stack.call(BOT, 'GET', `/v1/actions/${a.id}/wait?timeout=30`)).body;
    assert.equal(done.status, 'succeeded');
    assert.equal(done.decision.executeHash, pending.decision.executeHash);
    const events = (await stack.call('dave@example.com', 'GET', `/v1/actions/${a.id}/audit`)).body.items;
    const started = events.find((e: any) => e.type === 'execution.started');
    assert.deepEqual({ method: started.data.method, url: started.data.url, body: started.data.body }, { method: 'PUT', url: sink.url, body: { table: 'customers', rows: [1, 2] } });
    const gate = await stack.submit(BOT, { action: 'read.x', resource: 'r' });
    assert.equal((await stack.until(BOT, gate.id, (x) => x.decision !== null)).decision.executeHash, undefined, 'gate mode has none');
  });

  test('at send time a name that resolves to loopback is refused before anything is sent', async () => {
    const target = await startSink(SECRET);
    try {
      const port = target.hostPort.split(':')[1];
      const acts = createActivities({
        db: stack.services.database.db, audit: stack.services.audit, policy: stack.services.policy, webhookSecret: SECRET,
        httpAllowPrivate: stack.services.config.httpAllowPrivate,
        resolve: async () => [{ address: '127.0.0.1', family: 4 }], // a hostile DNS answer for a public-looking name
      });
      await assert.rejects(
        new MockActivityEnvironment().run(acts.executeHttp, { actionId: `act_rebind_${Date.now()}`, execute: { type: 'http' as const, url: `http://evil.example:${port}/run` } }),
        (err: any) => err.type === 'TargetNotAllowed' && err.nonRetryable === true && /evil\.example resolves to 127\.0\.0\.1 is a loopback address/.test(err.message),
      );
      assert.equal(target.requests.length, 0, 'the loopback server received nothing');
    } finally {
      await target.close();
    }
  });
});
