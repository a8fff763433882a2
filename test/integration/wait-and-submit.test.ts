import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startStack, type TestStack } from '../support/stack';

const policy = readFileSync(new URL('../fixtures/flow-policy.yaml', import.meta.url), 'utf8');
const BOT = 'svc:etl-bot';

/**
 * Issue 15 part 2 on a real stack: a submission answers with the policy's recorded decision (Update-with-Start),
 * and `/wait` blocks on the workflow through one watch per action per API process, so any number of waiters
 * leaves the workflow's Update slots to the votes.
 */
describe('submission answers with the decision; /wait blocks on the workflow', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack({ policy });
  });
  after(() => stack?.stop());

  const exportBody = { action: 'db.export', resource: 'postgres://prod/customers', environment: 'production', params: { table: 'customers' }, justification: 'monthly reconciliation' };

  test('POST /v1/actions answers pending_approval, approved or denied, never evaluating', async () => {
    const pending = await stack.submit(BOT, exportBody);
    assert.equal(pending.status, 'pending_approval');
    assert.equal(pending.decision.ruleId, 'export');
    assert.ok(pending.decision.expiresAt, 'the deadline is set when the answer comes');
    const denied = await stack.submit(BOT, { action: 'db.drop', resource: 'postgres://prod/customers' });
    assert.equal(denied.status, 'denied');
    assert.equal(denied.decision.ruleId, 'forbidden');
    const approved = await stack.submit(BOT, { action: 'read.table', resource: 'postgres://prod/customers' });
    assert.equal(approved.status, 'approved');
    assert.ok(approved.grant?.token, 'the requester gets its grant in the answer');
  });

  test('an idempotent replay answers the same action with its current status', async () => {
    const key = { 'idempotency-key': `wait-test-${Date.now()}` };
    const first = await stack.call(BOT, 'POST', '/v1/actions', exportBody, key);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(first.body.status, 'pending_approval');
    await stack.call('alice@example.com', 'POST', `/v1/actions/${first.body.id}/decisions`, { decision: 'approve' });
    const again = await stack.call(BOT, 'POST', '/v1/actions', exportBody, key);
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.body.approvals.length, 1, 'the replay shows the action as it is now, the vote included');
  });

  test('forty waiters on one action: votes still go through, and every waiter returns with the settled action', async () => {
    const a = await stack.submit(BOT, exportBody);
    const waits = Array.from({ length: 40 }, () => stack.call(BOT, 'GET', `/v1/actions/${a.id}/wait?timeout=60`));
    // Votes need Update slots of their own: forty waiters must not have taken them.
    const one = await stack.call('alice@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve' });
    assert.equal(one.status, 200, JSON.stringify(one.body));
    const two = await stack.call('bob@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve' });
    assert.equal(two.status, 200, JSON.stringify(two.body));
    const answers = await Promise.all(waits);
    for (const w of answers) {
      assert.equal(w.status, 200);
      assert.equal(w.body.status, 'approved');
      assert.ok(w.body.grant?.token, "the requester's waiters see its grant");
    }
    // The workflow saw one watch at a time from this process, not forty. (A waiter whose first look came before
    // the approval but who joins after the watch ended opens a new one, which answers at once.)
    const history = await stack.temporal.workflow.getHandle(a.id).fetchHistory();
    const open = new Set<string>();
    let most = 0;
    for (const e of history.events ?? []) {
      const accepted = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
      if (accepted?.input?.name === 'awaitSettled') open.add(accepted.meta!.updateId!);
      const done = e.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId;
      if (done) open.delete(done);
      most = Math.max(most, open.size);
    }
    assert.equal(most, 1, 'at most one awaitSettled update in flight');
  });

  test('a waiter who may not read the action learns nothing; one who may sees it without the grant', async () => {
    const a = await stack.submit(BOT, exportBody);
    const stranger = await stack.call('sre@example.com', 'GET', `/v1/actions/${a.id}/wait?timeout=1`);
    assert.equal(stranger.status, 404);
    const approver = stack.call('alice@example.com', 'GET', `/v1/actions/${a.id}/wait?timeout=30`);
    await stack.call('erin@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve' });
    await stack.call('bob@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve' });
    const seen = await approver;
    assert.equal(seen.body.status, 'approved');
    assert.equal(seen.body.grant?.token ?? null, null, 'the grant token is for the requester only');
  });

  test('a wait that times out answers the action as it is', async () => {
    const a = await stack.submit(BOT, exportBody);
    const t = Date.now();
    const w = await stack.call(BOT, 'GET', `/v1/actions/${a.id}/wait?timeout=1`);
    assert.equal(w.status, 200);
    assert.equal(w.body.status, 'pending_approval');
    assert.ok(Date.now() - t >= 900, 'it waited');
  });
});
