import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import canonicalize from 'canonicalize';
import { createActivities } from '../../activities';
import { parseTargets } from '../../targets';
import { startSink } from '../support/sink';
import { startStack, type TestStack } from '../support/stack';

const policy = readFileSync(new URL('../fixtures/flow-policy.yaml', import.meta.url), 'utf8');
const BOT = 'svc:etl-bot';
const SECRET = 'whsec_' + Buffer.from('interlock-test-secret-0123456789ab').toString('base64');
type Sink = Awaited<ReturnType<typeof startSink>>;

describe('the http executor calls only under a configured target, never Interlock itself or its network', () => {
  let stack: TestStack;
  let sink: Sink;
  let elsewhere: Sink;
  let redirecting: Sink;
  let unlisted: Sink;
  let port: string;
  before(async () => {
    sink = await startSink(SECRET);
    elsewhere = await startSink(SECRET);
    redirecting = await startSink(SECRET, { status: 302, headers: { location: elsewhere.url } });
    unlisted = await startSink(SECRET);
    port = sink.hostPort.split(':')[1];
    // `elsewhere` is allow-listed but no target: an allow-list entry alone never makes a URL callable.
    // `unlisted` is a target but not allow-listed: a loopback target needs both.
    const targets = [
      'targets:',
      `  hooks: {type: http, url: "${sink.base}hooks/"}`,
      `  redirecting: {type: http, url: "${redirecting.base}"}`,
      `  unlisted: {type: http, url: "${unlisted.base}"}`,
      '  metadata: {type: http, url: "http://169.254.169.254/latest/"}',
      '  internal: {type: http, url: "http://10.20.30.40:8080/"}',
      '  billing-db: {type: postgres, url: "${env:BILLING_DATABASE_URL}", statements: {refund: {sql: "select $1::text", params: [text]}}}',
      '',
    ].join('\n');
    stack = await startStack({ policy, targets, env: { INTERLOCK_WEBHOOK_SECRET: SECRET, INTERLOCK_HTTP_ALLOW_PRIVATE: [sink, elsewhere, redirecting].map((s) => s.hostPort).join(',') } });
  });
  after(async () => {
    await stack?.stop();
    for (const s of [sink, elsewhere, redirecting, unlisted]) await s?.close();
  });

  const workflowsIn = async (environment: string) => {
    const ids: string[] = [];
    for await (const w of stack.temporal.workflow.list({ query: `InterlockEnvironment = "${environment}"` })) ids.push(w.workflowId);
    return ids;
  };

  /** Submits an allowed read.* action with this `execute`, expecting 422 target_not_allowed naming `field`; returns the message. */
  const refused = async (execute: Record<string, unknown>, field: string, environment = 'staging') => {
    const res = await stack.call(BOT, 'POST', '/v1/actions', { action: 'read.x', resource: 'r', environment, execute: { type: 'http', ...execute } });
    assert.equal(res.status, 422, `${JSON.stringify(execute)}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, 'target_not_allowed', JSON.stringify(execute));
    assert.equal(res.body.error.details[0].field, field, JSON.stringify(execute));
    return res.body.error.message as string;
  };

  test("every URL outside a target's base is 422 target_not_allowed naming execute.url, and starts nothing", async () => {
    const environment = `staging-ssrf-${process.pid}-${Date.now()}`; // one Temporal server serves every run: keep this run's actions apart
    const outside = [
      `http://${stack.services.config.temporalAddress}/api/v1/namespaces/default/workflows/act_x/update/decide`, // Interlock's own Temporal
      'http://169.254.169.254/latest/meta-data/', 'http://[::ffff:169.254.169.254]/', 'http://[::ffff:a9fe:a9fe]/', 'http://2852039166/', // metadata, any notation
      'http://localhost:5432/', 'http://[::1]:5432/', // loopback
      `http://user:pw@${sink.hostPort}/hooks/run`, // userinfo
      `${elsewhere.base}hooks/run`, // another port (allow-listed, but no target)
      `http://localhost:${port}/hooks/run`, // another host name for the same socket
      `https://${sink.hostPort}/hooks/run`, // another scheme
      `${sink.base}hooksx/run`, `${sink.base}other`, sink.base, // outside the path prefix, or above it
      `${sink.base}hooks/../admin`, `${sink.base}hooks/%2e%2e/admin`, `${sink.base}hooks/./run`, // dot segments
      `${sink.base}hooks/a%2fb`, `${sink.base}hooks/a%5Cb`, `${sink.base}hooks\\..\\admin`, // encoded slash, encoded backslash, backslash
      `${sink.base}hooks//evil.example/x`, `${sink.base}hooks/run#frag`, 'ftp://127.0.0.1/hooks/', 'not a url',
    ];
    for (const [i, url] of outside.entries()) {
      const key = `ssrf-${environment}-${i}`;
      const res = await stack.call(BOT, 'POST', '/v1/actions', { action: 'read.x', resource: 'r', environment, execute: { type: 'http', url, body: { decision: 'approve' } } }, { 'idempotency-key': key });
      assert.equal(res.status, 422, `${url}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'target_not_allowed', url);
      assert.equal(res.body.error.details[0].field, 'execute.url', url);
      // No idempotency key was stored: the same key now starts the corrected action.
      const fixed = await stack.call(BOT, 'POST', '/v1/actions', { action: 'read.x', resource: 'r', environment: `${environment}-fixed` }, { 'idempotency-key': key });
      assert.equal(fixed.status, 202, JSON.stringify(fixed.body));
    }
    assert.match(await refused({ url: 'http://169.254.169.254/' }, 'execute.url'), /does not lie under the base URL of any http target/);

    // Visibility is eventually consistent: once a later, allowed action in the same environment is listed, no refused one is.
    const allowed = await stack.submit(BOT, { action: 'read.x', resource: 'r', environment, execute: { type: 'http', url: `${sink.base}hooks/run` } });
    let listed: string[] = [];
    for (let i = 0; i < 100 && !listed.includes(allowed.id); i++) {
      listed = await workflowsIn(environment);
      if (!listed.includes(allowed.id)) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(listed, [allowed.id]);
    const done = (await stack.call(BOT, 'GET', `/v1/actions/${allowed.id}/wait?timeout=30`)).body;
    assert.equal(done.status, 'succeeded');
    assert.equal(sink.requests.at(-1)!.path, '/hooks/run');
    assert.equal(elsewhere.requests.length, 0);
  });

  test("a path that would leave the target's base is 422 target_not_allowed naming execute.path", async () => {
    for (const path of ['../admin', '/a/../../admin', '%2e%2e/admin', '.', 'a%2Fb', 'a%5cb', 'a\\b', '//evil.example/x', 'http://evil.example/x', '/a//b', '/run#x', '/a b', '%zz']) {
      await refused({ target: 'hooks', path }, 'execute.path');
    }
    assert.equal(sink.requests.filter((r) => !r.path.startsWith('/hooks/')).length, 0);
  });

  test('an unknown target, a postgres target, both target and url, or neither are refused naming the field', async () => {
    assert.match(await refused({ target: 'nope', path: '/run' }, 'execute.target'), /"nope" is not a target in targets\.yaml; http targets: hooks, redirecting, unlisted, metadata, internal/);
    assert.match(await refused({ target: 'billing-db' }, 'execute.target'), /"billing-db" is a postgres target/);
    await refused({ target: 'hooks', url: `${sink.base}hooks/run` }, 'execute.url');
    await refused({ url: `${sink.base}hooks/run`, path: '/run' }, 'execute.path');
    await refused({}, 'execute.target');
  });

  test('a loopback target needs INTERLOCK_HTTP_ALLOW_PRIVATE, a metadata target is refused, a private-network target is fine', async () => {
    assert.match(await refused({ target: 'unlisted', path: '/run' }, 'execute.target'), /127\.0\.0\.1 is a loopback address; .*INTERLOCK_HTTP_ALLOW_PRIVATE/);
    assert.match(await refused({ url: 'http://169.254.169.254/latest/meta-data/' }, 'execute.url'), /169\.254\.169\.254 is a link-local address/);
    assert.match(await refused({ target: 'metadata' }, 'execute.target'), /link-local/);
    const dry = await stack.call(BOT, 'POST', '/v1/policy/evaluate', { action: 'read.x', resource: 'r', environment: 'staging', execute: { type: 'http', target: 'internal', path: '/run' } });
    assert.equal(dry.status, 200);
    assert.deepEqual(dry.body.problems, [], '10.20.30.40 is a private-network target: allowed without the allow-list');
    assert.equal(unlisted.requests.length, 0);
  });

  test('the dry run lists the refused target among its problems', async () => {
    const res = await stack.call(BOT, 'POST', '/v1/policy/evaluate', { action: 'read.x', resource: 'r', environment: 'staging', execute: { type: 'http', target: 'metadata' } });
    assert.equal(res.status, 200);
    assert.equal(res.body.problems[0].field, 'execute.target');
    assert.match(res.body.problems[0].message, /link-local/);
  });

  test('credential headers are refused with a 422 that says to configure them on the server', async () => {
    for (const name of ['Authorization', 'cookie', 'X-Api-Key', 'X-Vault-Token', 'Client-Secret']) {
      const res = await stack.call(BOT, 'POST', '/v1/actions', { action: 'read.x', resource: 'r', environment: 'staging', execute: { type: 'http', target: 'hooks', path: '/run', headers: { [name]: 'Bearer s3cr3t' } } });
      assert.equal(res.status, 422, name);
      assert.equal(res.body.error.code, 'credential_in_request');
      assert.equal(res.body.error.details[0].field, `execute.headers.${name}`);
      assert.match(res.body.error.message, /server-side configuration, not in the request/);
      assert.doesNotMatch(JSON.stringify(res.body), /s3cr3t/);
    }
    for (const headers of [{ 'Content-Type': 'text/plain' }, { 'Webhook-Signature': 'v1,forged' }, { 'Idempotency-Key': 'other' }, { Host: 'internal' }, { 'X-Trace': 'a\r\nX-Injected: 1' }]) {
      const res = await stack.call(BOT, 'POST', '/v1/actions', { action: 'read.x', resource: 'r', environment: 'staging', execute: { type: 'http', target: 'hooks', path: '/run', headers } });
      assert.equal(res.status, 422, JSON.stringify(headers));
      assert.equal(res.body.error.details[0].field, `execute.headers.${Object.keys(headers)[0]}`);
    }
    assert.equal(sink.requests.filter((r) => r.headers.authorization).length, 0);
  });

  test('a 302 from the target is recorded as a failure and never followed', async () => {
    const a = await stack.submit(BOT, { action: 'svc.call', resource: 'svc://x', execute: { type: 'http', target: 'redirecting', path: '/run' } });
    const done = (await stack.call(BOT, 'GET', `/v1/actions/${a.id}/wait?timeout=30`)).body;
    assert.equal(done.status, 'failed');
    assert.equal(done.result.httpStatus, 302);
    assert.equal(redirecting.requests.length, 1, 'not retried');
    assert.equal(elsewhere.requests.length, 0, 'the redirect target was never called');
  });

  test('approvers see target, method, full URL and body, and the decision binds them with executeHash', async () => {
    const execute = { type: 'http', url: `${sink.base}hooks/export`, method: 'PUT', body: { table: 'customers', rows: [1, 2] }, headers: { 'X-Request-Id': 'r1' } };
    const a = await stack.submit(BOT, { action: 'db.export', resource: 'db://c', execute });
    const pending = await stack.until(BOT, a.id, (x) => x.status === 'pending_approval');
    assert.deepEqual(pending.execute, { type: 'http', method: 'PUT', target: 'hooks', url: `${sink.base}hooks/export`, body: { table: 'customers', rows: [1, 2] }, headers: { 'X-Request-Id': 'r1' } });
    assert.equal(pending.decision.executeHash, `sha256:${createHash('sha256').update(canonicalize(execute)!).digest('hex')}`);
    await stack.call('bob@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve' });
    await stack.call('erin@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve' });
    const done = (await stack.call(BOT, 'GET', `/v1/actions/${a.id}/wait?timeout=30`)).body;
    assert.equal(done.status, 'succeeded');
    assert.equal(done.decision.executeHash, pending.decision.executeHash);
    const events = (await stack.call('dave@example.com', 'GET', `/v1/actions/${a.id}/audit`)).body.items;
    const started = events.find((e: any) => e.type === 'execution.started');
    assert.deepEqual({ method: started.data.method, url: started.data.url, target: started.data.target, body: started.data.body }, { method: 'PUT', url: `${sink.base}hooks/export`, target: 'hooks', body: { table: 'customers', rows: [1, 2] } });
    const gate = await stack.submit(BOT, { action: 'read.x', resource: 'r' });
    assert.equal((await stack.until(BOT, gate.id, (x) => x.decision !== null)).decision.executeHash, undefined, 'gate mode has none');
  });

  test('at send time a target name that resolves to loopback is refused before anything is sent', async () => {
    const target = await startSink(SECRET);
    try {
      const targetPort = target.hostPort.split(':')[1];
      const targets = parseTargets(`targets:\n  evil: {type: http, url: "http://evil.example:${targetPort}/"}\n`);
      const acts = createActivities({
        db: stack.services.database.db, audit: stack.services.audit, policy: stack.services.policy, webhookSecret: SECRET,
        httpAllowPrivate: stack.services.config.httpAllowPrivate, targets: { current: () => targets },
        resolve: async () => [{ address: '127.0.0.1', family: 4 }], // a hostile DNS answer for a public-looking name
      });
      await assert.rejects(
        new MockActivityEnvironment().run(acts.executeHttp, { actionId: `act_rebind_${Date.now()}`, execute: { type: 'http' as const, target: 'evil', path: '/run' } }),
        (err: any) => err.type === 'TargetNotAllowed' && err.nonRetryable === true && /evil\.example resolves to 127\.0\.0\.1 is a loopback address/.test(err.message),
      );
      assert.equal(target.requests.length, 0, 'the loopback server received nothing');
    } finally {
      await target.close();
    }
  });
});
