import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { serveMetrics } from '../../processes';
import { sinkTargets, startSink } from '../support/sink';
import { startStack, type TestStack } from '../support/stack';

const policy = readFileSync(new URL('../fixtures/flow-policy.yaml', import.meta.url), 'utf8');
const BOT = 'svc:etl-bot';
const SECRET = 'whsec_' + Buffer.from('interlock-test-secret-0123456789ab').toString('base64');

/** The value of one sample of the exposition text, by its name and exact label set ('' for none); undefined when absent. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('/metrics shows every contract metric with the values of a known scenario', () => {
  let stack: TestStack;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let text = '';
  before(async () => {
    sink = await startSink(SECRET);
    stack = await startStack({ policy, targets: sinkTargets({ sink }), env: { INTERLOCK_WEBHOOK_SECRET: SECRET, INTERLOCK_HTTP_ALLOW_PRIVATE: sink.hostPort } });
    const settled = (s: string[]) => (a: any) => s.includes(a.status);
    const run = await stack.submit(BOT, { action: 'svc.call', resource: 'svc://x', environment: 'staging', execute: { type: 'http', target: 'sink', path: '/run' } });
    const denied = await stack.submit(BOT, { action: 'db.drop', resource: 'db://x', environment: 'staging' });
    const unnamed = await stack.submit(BOT, { action: 'nothing.matches', resource: 'db://x', environment: 'moon' });
    const pending = await stack.submit(BOT, { action: 'db.export', resource: 'db://c', environment: 'staging' });
    const escalating = await stack.submit(BOT, { action: 'infra.scale', resource: 'k8s://web', environment: 'staging' });
    await stack.until(BOT, run.id, settled(['succeeded']));
    await stack.until(BOT, denied.id, settled(['denied']));
    await stack.until(BOT, unnamed.id, settled(['denied']));
    await stack.until(BOT, pending.id, settled(['pending_approval']));
    await stack.until(BOT, escalating.id, (a) => a.decision?.escalationLevel === 1, 15_000);
    // The live action shows the escalation before its audit step is written; the counter follows the write.
    const escalated = async () => (await stack.call('dave@example.com', 'GET', `/v1/actions/${escalating.id}/audit`)).body.items.some((e: any) => e.type === 'approval.escalated');
    for (let i = 0; i < 100 && !(await escalated()); i++) await new Promise((r) => setTimeout(r, 50));
    text = (await stack.call(null, 'GET', '/metrics')).body;
  });
  after(async () => {
    await stack?.stop();
    await sink?.close();
  });

  test('submissions by action and environment, with names the policy does not use counted as other', () => {
    assert.equal(sample(text, 'interlock_actions_submitted_total', 'action="svc.call",environment="other"'), 1, text.match(/^interlock_actions_submitted_total.*$/gm)?.join('\n'));
    assert.equal(sample(text, 'interlock_actions_submitted_total', 'action="db.drop",environment="other"'), 1);
    assert.equal(sample(text, 'interlock_actions_submitted_total', 'action="other",environment="other"'), 1);
    assert.equal(sample(text, 'interlock_actions_submitted_total', 'action="nothing.matches",environment="moon"'), undefined);
  });

  test('finished actions by status, pending ones from the database, escalations', () => {
    assert.equal(sample(text, 'interlock_actions_finished_total', 'status="succeeded"'), 1);
    assert.equal(sample(text, 'interlock_actions_finished_total', 'status="denied"'), 2);
    assert.equal(sample(text, 'interlock_actions_pending'), 2);
    assert.equal(sample(text, 'interlock_escalations_total'), 1);
  });

  test('decision, execution and audit-append histograms, and the policy load gauge', () => {
    assert.equal(sample(text, 'interlock_decision_seconds_count'), 3, 'one allowed, two denied by policy');
    assert.equal(sample(text, 'interlock_execution_seconds_count', 'executor="http"'), 1);
    // One timed write per step: the executed action's decision with execution.started, then its result; one
    // decision each for the other four (submission, policy and outcome go in one step); the escalation.
    assert.ok(sample(text, 'interlock_audit_append_seconds_count')! >= 7, `every recorded step is timed (${sample(text, 'interlock_audit_append_seconds_count')})`);
    assert.equal(sample(text, 'interlock_policy_load_ok'), 1);
    assert.equal(sample(text, 'interlock_notifications_failed_total'), undefined, 'declared, and no channel failed');
    assert.match(text, /^# TYPE interlock_notifications_failed_total counter$/m);
  });

  test("the Temporal SDK's worker metrics are on the same page", () => {
    assert.match(text, /^temporal_\w+/m);
    assert.match(text, /^temporal_workflow_completed_total\{/m);
  });

  test('the worker endpoint (`interlock worker --metrics-port`) serves the same registry and the SDK metrics', async () => {
    const endpoint = await serveMetrics(stack.services.metrics, { host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(endpoint.url);
      assert.equal(res.status, 200);
      const body = await res.text();
      assert.equal(sample(body, 'interlock_actions_finished_total', 'status="succeeded"'), 1);
      assert.match(body, /^temporal_\w+/m);
      assert.equal((await fetch(endpoint.url.replace('/metrics', '/nope'))).status, 404);
    } finally {
      await endpoint.close();
    }
  });

  test('the Grafana dashboard queries only metrics the processes export', () => {
    const dashboard = readFileSync(new URL('../../deploy/grafana/interlock.json', import.meta.url), 'utf8');
    const names = new Set([...dashboard.matchAll(/\binterlock_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')));
    assert.ok(names.size >= 9);
    for (const name of names) assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is exported`);
  });
});
