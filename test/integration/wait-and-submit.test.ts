import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
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
    // Waiting costs the workflow nothing: the watch wakes on the recorded change (NOTIFY), so the only Updates in
    // its history are the submission's and the two votes, and no waiter took a slot or any of the run's 2,000.
    const history = await stack.temporal.workflow.getHandle(a.id).fetchHistory();
    const updates = (history.events ?? []).flatMap((e) => {
      const name = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
      return name ? [name] : [];
    });
    assert.deepEqual(updates, ['submitted', 'decide', 'decide']);
  });

  test('a waiter whose LISTEN connection is lost still returns once the action settles', async (t) => {
    if (stack.services.database.kind !== 'postgres') return t.skip('one embedded connection: nothing to lose');
    const a = await stack.submit(BOT, exportBody);
    const waiting = stack.call(BOT, 'GET', `/v1/actions/${a.id}/wait?timeout=60`);
    const listener = sql`select pid from pg_stat_activity where query = 'listen interlock_action_changed' and datname = current_database()`;
    for (let i = 0; i < 100 && ((await stack.services.database.db.execute(listener)) as unknown as { rows: unknown[] }).rows.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    const killed = await stack.services.database.db.execute(sql`select pg_terminate_backend(pid) from pg_stat_activity where query = 'listen interlock_action_changed' and datname = current_database()`);
    assert.ok((killed as unknown as { rowCount: number }).rowCount >= 1, 'the listener connection was found and ended');
    await stack.call('alice@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve' });
    await stack.call('bob@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve' });
    const seen = await waiting;
    assert.equal(seen.body.status, 'approved', JSON.stringify(seen.body));
  });

  test('a waiter who may not read the action is refused at once and learns nothing of it; one who may sees it without the grant', async () => {
    const a = await stack.submit(BOT, exportBody);
    const stranger = await stack.call('sre@example.com', 'GET', `/v1/actions/${a.id}/wait?timeout=1`);
    assert.equal(stranger.status, 403);
    assert.deepEqual(Object.keys(stranger.body), ['error']);
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
