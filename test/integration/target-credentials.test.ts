import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { policyCommand } from '../../cli';
import { SlackFake } from '../support/slack-fake';
import { SLACK_POLICY, SLACK_PRINCIPALS, slackEnv } from '../support/slack-fixtures';
import { startSink } from '../support/sink';
import { startStack, type TestStack } from '../support/stack';

const BOT = 'svc:etl-bot';
const WEBHOOK_SECRET = 'whsec_' + Buffer.from('interlock-test-secret-0123456789ab').toString('base64');
// Unique per run, so finding one anywhere cannot be a coincidence.
const TOKEN = `tok_${randomBytes(16).toString('hex')}`;
const TENANT = `tenant_${randomBytes(16).toString('hex')}`;
const TOKEN_VAR = `INTERLOCK_TEST_TARGET_TOKEN_${process.pid}`;
const UNSET_VAR = `INTERLOCK_TEST_UNSET_${process.pid}`;

// Rules on where an action runs: CEL sees execute.type and execute.target (for a url, the target it lies under).
const POLICY = SLACK_POLICY.replace('rules:\n', `rules:
  - id: vault-rotation
    when: action == "secret.rotate" && execute.type == "http" && execute.target == "vault"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 2}
    slack_channel: "#vault"
    tests:
      - {input: {action: secret.rotate, execute: {type: http, target: vault}}, expect: {outcome: require_approval, rule: vault-rotation}}
      - {input: {action: secret.rotate, execute: {type: http, target: other}}, expect: deny}
  - id: reference-check
    when: action == "ref.check" && execute.target == "broken"
    decision: allow
`);

/** Every string inside a value, with base64-looking strings decoded too (history payloads are base64 JSON). */
function allText(value: unknown): string {
  if (typeof value === 'string') return /^[A-Za-z0-9+/]{8,}={0,2}$/.test(value) ? `${value}\n${Buffer.from(value, 'base64').toString('utf8')}` : value;
  if (Array.isArray(value)) return value.map(allText).join('\n');
  if (value && typeof value === 'object') return Object.values(value).map(allText).join('\n');
  return String(value);
}

const leaks = (text: string) => [TOKEN, TENANT].filter((s) => text.includes(s));

describe("a target's credentials reach the target and nowhere else", () => {
  let stack: TestStack;
  let fake: SlackFake;
  let sink: Awaited<ReturnType<typeof startSink>>;
  const logLines: string[] = [];
  before(async () => {
    process.env[TOKEN_VAR] = TOKEN;
    delete process.env[UNSET_VAR];
    process.env.TEMPORAL_LOG_LEVEL = 'INFO'; // the SDK's own activity-failure lines are in the captured logs too
    const dir = mkdtempSync(path.join(tmpdir(), 'interlock-target-'));
    const tenantFile = path.join(dir, 'tenant');
    writeFileSync(tenantFile, `${TENANT}\n`);
    sink = await startSink(WEBHOOK_SECRET, { echoHeaders: true }); // a careless target: it echoes every header it got
    fake = await new SlackFake().start();
    const targets = [
      'targets:',
      `  vault: {type: http, url: "${sink.base}v1/", headers: {Authorization: "Bearer \${env:${TOKEN_VAR}}", X-Tenant: "\${file:${tenantFile}}"}, timeout: 5s}`,
      `  broken: {type: http, url: "${sink.base}broken/", headers: {Authorization: "Bearer \${env:${UNSET_VAR}}"}}`,
      '',
    ].join('\n');
    const env = { ...slackEnv(fake), INTERLOCK_WEBHOOK_SECRET: WEBHOOK_SECRET, INTERLOCK_HTTP_ALLOW_PRIVATE: `${new URL(fake.url).host},${sink.hostPort}` };
    stack = await startStack({ policy: POLICY, principals: SLACK_PRINCIPALS, targets, env, slack: true, logLines });
  });
  after(async () => {
    await stack?.stop();
    await fake?.stop();
    await sink?.close();
    delete process.env[TOKEN_VAR];
  });

  test('the sink gets the credentials; history, audit rows, logs, API responses and Slack hold none', async () => {
    const responses: unknown[] = [];
    const call = async (as: string, method: string, route: string, body?: unknown) => {
      const res = await stack.call(as, method, route, body);
      responses.push(res.body);
      return res;
    };
    // The url form: the policy sees the target it lies under. A submitted X-Tenant is replaced by the target's.
    const submitted = await call(BOT, 'POST', '/v1/actions', { action: 'secret.rotate', resource: 'vault://prod/db', execute: { type: 'http', url: `${sink.base}v1/rotate`, headers: { 'X-Tenant': 'spoofed' }, body: { path: 'db' } } });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const id = (submitted.body as { id: string }).id;
    const pending = await stack.until(BOT, id, (x) => x.status === 'pending_approval');
    assert.equal(pending.decision.ruleId, 'vault-rotation', 'CEL saw execute.target == "vault"');
    assert.deepEqual(pending.execute.setByTarget, ['Authorization', 'X-Tenant'], 'approvers see which headers the target adds, by name');
    assert.equal(pending.execute.target, 'vault');
    await call('alice@example.com', 'POST', `/v1/actions/${id}/decisions`, { decision: 'approve' });
    await call('bob@example.com', 'POST', `/v1/actions/${id}/decisions`, { decision: 'approve' });
    const done = (await call(BOT, 'GET', `/v1/actions/${id}/wait?timeout=30`)).body as any;
    assert.equal(done.status, 'succeeded', JSON.stringify(done.result));

    // The target got them, once, with the file's trailing newline dropped and the submitted X-Tenant replaced.
    assert.equal(sink.requests.length, 1);
    const [req] = sink.requests;
    assert.equal(req.path, '/v1/rotate');
    assert.equal(req.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(req.headers['x-tenant'], TENANT);
    assert.equal(req.signatureValid, true);
    // It echoed them back; the recorded output has them redacted.
    const echoed = JSON.parse(done.result.output);
    assert.equal(echoed.headers.authorization, '[redacted]');
    assert.equal(echoed.headers['x-tenant'], '[redacted]');

    for (const as of [BOT, 'alice@example.com', 'dave@example.com']) {
      await call(as, 'GET', `/v1/actions/${id}`);
      await call(as, 'GET', `/v1/actions/${id}/audit`);
      await call(as, 'GET', '/v1/actions?limit=100');
    }
    await call('dave@example.com', 'GET', `/v1/audit?action_id=${id}`);
    assert.deepEqual(leaks(JSON.stringify(responses)), [], 'API responses');

    const cli = process.env.TEMPORAL_CLI_PATH;
    assert.ok(cli, 'the test runner sets TEMPORAL_CLI_PATH');
    const { stdout } = await promisify(execFile)(cli, ['workflow', 'show', '--workflow-id', id, '--output', 'json', '--address', stack.services.config.temporalAddress!, '--namespace', stack.services.config.temporalNamespace], { maxBuffer: 64 * 1024 * 1024 });
    assert.ok(stdout.includes('ActivityTaskCompleted') || stdout.includes('ACTIVITY_TASK_COMPLETED'), 'the history was read');
    assert.ok(allText(JSON.parse(stdout)).includes('/v1/rotate'), 'payloads were decoded');
    assert.deepEqual(leaks(stdout), [], 'workflow history (raw)');
    assert.deepEqual(leaks(allText(JSON.parse(stdout))), [], 'workflow history (payloads decoded)');

    const db = new pg.Client({ connectionString: stack.services.config.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query('select * from audit_events where action_id = $1', [id]);
      assert.ok(rows.length >= 6);
      assert.deepEqual(leaks(JSON.stringify(rows)), [], 'audit rows');
      const executions = await db.query('select * from http_executions where action_id = $1', [id]);
      assert.equal(executions.rows.length, 1);
      assert.deepEqual(leaks(JSON.stringify(executions.rows)), [], 'the stored response');
    } finally {
      await db.end();
    }

    const request = fake.callsTo('chat.postMessage', (c) => JSON.stringify(c.body.blocks ?? []).includes(id));
    assert.ok(request.length > 0, 'the request was posted to Slack');
    const slackText = JSON.stringify(fake.calls);
    assert.ok(slackText.includes('Authorization: (set by target)'), 'the Slack message names the header the target sets');
    assert.deepEqual(leaks(slackText), [], 'Slack messages');
    assert.ok(logLines.length > 0, 'logs were captured');
    assert.deepEqual(leaks(logLines.join('')), [], 'logs');
  });

  test('a reference with no value fails that execution at once, naming the reference and sending nothing', async () => {
    const before = sink.requests.length;
    const a = await stack.submit(BOT, { action: 'ref.check', resource: 'r', execute: { type: 'http', target: 'broken', path: '/x' } });
    const done = (await stack.call(BOT, 'GET', `/v1/actions/${a.id}/wait?timeout=30`)).body;
    assert.equal(done.status, 'failed');
    assert.match(done.result.error, new RegExp(`target "broken" header Authorization: \\$\\{env:${UNSET_VAR}\\} is not set`));
    assert.equal(sink.requests.length, before, 'nothing was sent');
    const history = await stack.temporal.workflow.getHandle(a.id).fetchHistory();
    const attempts = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 0);
    assert.ok(attempts.length > 0 && Math.max(...attempts) === 1, `not retried (attempts ${attempts.join(',')})`);
  });

  test('interlock policy check accepts rules and inline tests on execute.target', async () => {
    for (const sub of ['check', 'test']) {
      const out: string[] = [];
      const code = await policyCommand([sub, stack.policyFile], { out: (s) => out.push(s), err: (s) => out.push(s), env: {} });
      assert.equal(code, 0, `policy ${sub}: ${out.join('\n')}`);
    }
  });
});
