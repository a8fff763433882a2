import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startStack, type TestStack } from '../support/stack';

const policy = readFileSync(new URL('../fixtures/flow-policy.yaml', import.meta.url), 'utf8');
const BOT = 'svc:etl-bot';

describe('an action is one durable workflow from submission to a terminal status', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack({ policy });
  });
  after(() => stack?.stop());

  const audit = async (id: string) => (await stack.call('dave@example.com', 'GET', `/v1/actions/${id}/audit`)).body.items.map((e: any) => e.type);

  test('an action the policy allows is approved by policy and settles at once (gate mode)', async () => {
    const a = await stack.submit(BOT, { action: 'read.table', resource: 'db://x' });
    // Update-with-Start: the submission answers with the recorded decision, never `evaluating` for a fast policy.
    assert.equal(a.status, 'approved');
    assert.equal(a.decision.ruleId, 'reads');
    assert.match(a.id, /^act_/);
    assert.equal(a.links.temporalUi.endsWith(`/workflows/${a.id}`), true);
    const done = (await stack.call(BOT, 'GET', `/v1/actions/${a.id}/wait?timeout=10`)).body;
    assert.equal(done.status, 'approved');
    assert.equal(done.decision.outcome, 'allow');
    assert.equal(done.decision.ruleId, 'reads');
    assert.match(done.decision.policyVersion, /^sha256:[0-9a-f]{64}$/);
    // The rule's grant lasts 2 s: on a slow machine its lapse may already be recorded too.
    assert.deepEqual((await audit(a.id)).filter((t: string) => t !== 'grant.expired'), ['action.submitted', 'policy.evaluated', 'action.approved', 'grant.issued']);
  });

  test('a policy deny is denied with the rule in the decision; an unmatched action is denied by default', async () => {
    const denied = await stack.submit(BOT, { action: 'db.drop', resource: 'db://x' });
    const d = (await stack.call(BOT, 'GET', `/v1/actions/${denied.id}/wait?timeout=10`)).body;
    assert.equal(d.status, 'denied');
    assert.equal(d.decision.ruleId, 'forbidden');
    const unmatched = await stack.submit(BOT, { action: 'nothing.matches', resource: 'db://x' });
    const u = (await stack.call(BOT, 'GET', `/v1/actions/${unmatched.id}/wait?timeout=10`)).body;
    assert.equal(u.status, 'denied');
    assert.equal(u.decision.ruleId, null);
    assert.deepEqual(await audit(denied.id), ['action.submitted', 'policy.evaluated', 'action.denied']);
  });

  test('quorum 2 needs two distinct approvers; requester, onBehalfOf, non-approvers and double votes are refused', async () => {
    const a = await stack.submit(BOT, { action: 'db.export', resource: 'db://customers', onBehalfOf: 'alice@example.com', justification: 'recon' });
    await stack.until(BOT, a.id, (x) => x.status === 'pending_approval');
    const vote = (who: string, decision = 'approve') => stack.call(who, 'POST', `/v1/actions/${a.id}/decisions`, { decision, comment: `by ${who}` });

    const self = await vote(BOT);
    assert.equal(self.status, 403);
    assert.equal(self.body.error.code, 'self_approval');
    const behalf = await vote('alice@example.com');
    assert.equal(behalf.status, 403);
    assert.equal(behalf.body.error.code, 'on_behalf_of_approval');
    const outsider = await vote('mallory@example.com');
    assert.equal(outsider.status, 403, 'a non-approver may not vote (the contract): told so, and nothing of the action');
    assert.equal(outsider.body.error.code, 'not_an_approver');
    assert.doesNotMatch(outsider.body.error.message, /data-owners|approvers:/, 'not even who the approvers are');
    const reader = await vote('dave@example.com');
    assert.equal(reader.status, 403);
    assert.equal(reader.body.error.code, 'not_an_approver');

    const first = await vote('bob@example.com');
    assert.equal(first.status, 200);
    assert.equal(first.body.status, 'pending_approval');
    assert.equal(first.body.approvals.length, 1);
    const again = await vote('bob@example.com');
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'already_voted');

    const second = await vote('erin@example.com');
    assert.equal(second.status, 200);
    assert.equal(second.body.status, 'approved');
    const late = await vote('alice@example.com');
    assert.equal(late.status, 409);
    assert.equal(late.body.error.code, 'action_closed');

    const result = await stack.call(BOT, 'POST', `/v1/actions/${a.id}/result`, { status: 'succeeded', output: { rows: 3 } });
    assert.equal(result.status, 200);
    assert.equal(result.body.status, 'succeeded');
    assert.deepEqual(await audit(a.id), [
      'action.submitted', 'policy.evaluated', 'approval.requested', 'approval.decision', 'approval.decision', 'action.approved', 'grant.issued', 'execution.succeeded',
    ]);
  });

  test('any deny by an approver denies, with the reason', async () => {
    const a = await stack.submit(BOT, { action: 'db.export', resource: 'db://customers' });
    await stack.until(BOT, a.id, (x) => x.status === 'pending_approval');
    const res = await stack.call('erin@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'deny', comment: 'not this month' });
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'denied');
    assert.match(res.body.statusReason, /not this month/);
  });

  test('no quorum before the deadline is expired, never denied', async () => {
    const a = await stack.submit(BOT, { action: 'cache.flush', resource: 'redis://prod' });
    const done = (await stack.call(BOT, 'GET', `/v1/actions/${a.id}/wait?timeout=20`)).body;
    assert.equal(done.status, 'expired');
    assert.ok((await audit(a.id)).includes('action.expired'));
    assert.ok(!(await audit(a.id)).includes('action.denied'));
  });

  test('escalation widens the approver set to the next tier', async () => {
    const a = await stack.submit(BOT, { action: 'infra.scale', resource: 'k8s://prod/api' });
    await stack.until(BOT, a.id, (x) => x.status === 'pending_approval');
    const early = await stack.call('carol@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve' });
    assert.equal(early.status, 403, 'security-oncall is not yet an approver');
    assert.equal(early.body.error.code, 'not_an_approver');
    const escalated = await stack.until(BOT, a.id, (x) => x.decision?.escalationLevel === 1);
    assert.deepEqual(escalated.decision.approvers.groups, ['sre-oncall', 'security-oncall']);
    const now = await stack.call('carol@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve' });
    assert.equal(now.status, 200);
    assert.equal(now.body.status, 'approved');
    assert.ok((await audit(a.id)).includes('approval.escalated'));
  });

  test('the requester may cancel a pending action; a stranger may neither see nor cancel it (403, nothing of the action)', async () => {
    const a = await stack.submit(BOT, { action: 'db.export', resource: 'db://customers' });
    await stack.until(BOT, a.id, (x) => x.status === 'pending_approval');
    const seen = await stack.call('mallory@example.com', 'GET', `/v1/actions/${a.id}`);
    assert.equal(seen.status, 403);
    assert.equal(seen.body.error.code, 'forbidden');
    assert.doesNotMatch(JSON.stringify(seen.body), /db\.export|pending_approval|customers/);
    assert.equal((await stack.call('mallory@example.com', 'POST', `/v1/actions/${a.id}/cancel`, {})).status, 403);
    assert.equal((await stack.call('mallory@example.com', 'GET', '/v1/actions/act_01NOSUCHACTION0000000000000')).status, 404);
    const res = await stack.call(BOT, 'POST', `/v1/actions/${a.id}/cancel`, { reason: 'wrong table' });
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'cancelled');
    assert.equal((await stack.call(BOT, 'POST', `/v1/actions/${a.id}/cancel`, {})).status, 409);
  });

  test('the same Idempotency-Key and body returns the same action; a different body is 422', async () => {
    const body = { action: 'db.export', resource: 'db://customers', params: { n: 1 } };
    const headers = { 'idempotency-key': `k-${Date.now()}` };
    const [one, two] = await Promise.all([stack.call(BOT, 'POST', '/v1/actions', body, headers), stack.call(BOT, 'POST', '/v1/actions', body, headers)]);
    assert.equal(one.status, 202);
    assert.equal(two.status, 202);
    assert.equal(one.body.id, two.body.id);
    const three = await stack.call(BOT, 'POST', '/v1/actions', body, headers);
    assert.equal(three.body.id, one.body.id);
    const other = await stack.call(BOT, 'POST', '/v1/actions', { ...body, params: { n: 2 } }, headers);
    assert.equal(other.status, 422);
    assert.equal(other.body.error.code, 'idempotency_key_reused');
    // The list reads the projection the workflow writes: wait for the row, then it must be there exactly once.
    let copies = 0;
    for (let i = 0; i < 200 && copies === 0; i++) {
      const listed = await stack.call('dave@example.com', 'GET', '/v1/actions?action=db.export&limit=200');
      copies = listed.body.items.filter((x: any) => x.id === one.body.id).length;
      if (copies === 0) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(copies, 1, 'the action is listed once, not once per submission');
    const runs = [];
    for await (const w of stack.temporal.workflow.list({ query: `WorkflowId = '${one.body.id}'` })) runs.push(w);
    assert.equal(runs.length, 1, 'one workflow was started');
  });

  test('SREs find actions in Temporal by the search attributes upserted on every status change', async () => {
    const env = `sa-${process.pid}-${Date.now()}`; // one Temporal server serves every test run: keep this run's actions apart
    const a = await stack.submit(BOT, { action: 'db.export', resource: 'db://sa', environment: env });
    await stack.until(BOT, a.id, (x) => x.status === 'pending_approval');
    const find = async (query: string) => {
      const ids: string[] = [];
      for await (const w of stack.temporal.workflow.list({ query })) ids.push(w.workflowId);
      return ids;
    };
    const query = `InterlockStatus = "pending_approval" AND InterlockEnvironment = "${env}" AND InterlockRequester = "${BOT}" AND InterlockAction = "db.export" AND InterlockRisk = "high"`;
    let found: string[] = [];
    for (let i = 0; i < 100 && !found.includes(a.id); i++) {
      found = await find(query); // visibility is eventually consistent
      if (!found.includes(a.id)) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(found, [a.id]);
    await stack.call(BOT, 'POST', `/v1/actions/${a.id}/cancel`, {});
    for (let i = 0; i < 100 && (await find(`InterlockStatus = "cancelled" AND InterlockEnvironment = "${env}"`)).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await find(`InterlockStatus = "cancelled" AND InterlockEnvironment = "${env}"`), [a.id]);
  });

  test('the audit chain of everything above verifies', async () => {
    const res = await stack.call('dave@example.com', 'GET', '/v1/audit/verify');
    assert.equal(res.status, 200);
    assert.equal(res.body.ok, true);
    assert.ok(res.body.count > 10);
    assert.equal((await stack.call(BOT, 'GET', '/v1/audit/verify')).status, 403);
  });
});
