import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cancelUpdate, getActionQuery, Refusal, reportResultUpdate } from '../../workflows/messages';
import { decision, gate, human, notifiedOf, refused, requester, suiteTestbed, until, vote, withWorker, workflowInput, type Activities, type Recorded } from '../support/workflow-env';

const alice = human('alice@example.com', ['data-owners']);
const bob = human('bob@example.com', ['data-owners']);
const T = { timeout: 60_000 };

const bed = suiteTestbed();

const cancel = (h: { executeUpdate: (...a: any[]) => Promise<any> }, principal: string, isAdmin = false, reason?: string) => h.executeUpdate(cancelUpdate, { args: [{ principal, isAdmin, reason }] });

/** Holds the workflow open after it closes the action (a slow channel), so a late update meets a closed action, not a finished workflow. */
const slowClosing = (closing: ReturnType<typeof gate>) => (r: Recorded): Partial<Activities> => ({
  notifyActionChange: async (c) => {
    r.notified.push(c);
    if (c.kind === 'closed') await closing.wait;
  },
});

describe('cancel races', () => {
  test('the requester can cancel a pending action, and a vote after it is refused', T, async () => {
    const closing = gate();
    await withWorker(bed.env, slowClosing(closing), async (run) => {
      const h = await run.start(workflowInput());
      await notifiedOf(run, 'requested');
      const cancelled = await cancel(h, requester.id, false, 'not needed');
      assert.equal(cancelled.status, 'cancelled');
      assert.equal(cancelled.statusReason, `cancelled by ${requester.id}: not needed`);
      await refused(vote(h, alice), Refusal.actionClosed);
      closing.release();
      assert.equal((await h.result()).status, 'cancelled');
      assert.deepEqual(run.events().find((e) => e.type === 'action.cancelled')?.data, { reason: 'not needed' });
    });
  });

  test('only the requester or an admin may cancel', T, async () => {
    await withWorker(bed.env, () => ({}), async (run) => {
      const h = await run.start(workflowInput());
      await notifiedOf(run, 'requested');
      await refused(cancel(h, alice.id), Refusal.notAllowed);
      assert.equal((await h.query(getActionQuery)).status, 'pending_approval');
      assert.equal((await cancel(h, 'admin@example.com', true)).status, 'cancelled');
    });
  });

  test('a gate-mode action can still be cancelled after its approval', T, async () => {
    await withWorker(bed.env, () => ({}), async (run) => {
      const h = await run.start(workflowInput());
      await notifiedOf(run, 'requested');
      assert.equal((await vote(h, alice)).status, 'approved');
      assert.equal((await cancel(h, requester.id)).status, 'cancelled');
      const final = await h.result();
      assert.equal(final.status, 'cancelled');
      assert.ok(!run.eventTypes().includes('grant.expired'), 'a cancelled grant does not lapse');
    });
  });

  test('an action being executed cannot be cancelled', T, async () => {
    const executing = gate();
    const slowExecutor = (r: Recorded): Partial<Activities> => ({
      runExecutor: async (input) => {
        r.executed.push(input);
        await executing.wait;
        return { status: 'succeeded', httpStatus: 200, output: 'done' };
      },
    });
    await withWorker(bed.env, slowExecutor, async (run) => {
      const h = await run.start(workflowInput({ execute: { type: 'http', method: 'POST', url: 'https://ops.example.com/drop' } }));
      await notifiedOf(run, 'requested');
      await vote(h, alice);
      await until(() => run.executed.length === 1, 'the executor to start');
      await refused(cancel(h, requester.id), Refusal.actionClosed);
      executing.release();
      assert.equal((await h.result()).status, 'succeeded');
    });
  });

  test('a denied action cannot be cancelled', T, async () => {
    const closing = gate();
    await withWorker(bed.env, slowClosing(closing), async (run) => {
      const h = await run.start(workflowInput());
      await notifiedOf(run, 'requested');
      await vote(h, alice, 'deny');
      await refused(cancel(h, requester.id), Refusal.actionClosed);
      closing.release();
      assert.equal((await h.result()).status, 'denied');
    });
  });
});

describe('the grant window', () => {
  test('a gate-mode approval with no result before the window closes stays approved, with grant.expired in the trail', T, async () => {
    await withWorker(bed.env, () => ({}), async (run) => {
      const h = await run.start(workflowInput({ decision: decision({ grantSeconds: 2 * 3600 }) }));
      await notifiedOf(run, 'requested');
      await vote(h, alice);
      const final = await h.result(); // two hours of grant window, skipped
      assert.equal(final.status, 'approved');
      assert.match(final.statusReason ?? '', /grant window closed at .* without a result/);
      const lapse = run.events().find((e) => e.type === 'grant.expired');
      assert.deepEqual(lapse?.data, { grantExpiresAt: final.grantExpiresAt });
      const window = Date.parse(final.grantExpiresAt!) - Date.parse(final.approvals[0]!.at);
      assert.ok(window >= 2 * 3600 * 1000 && window < 2 * 3600 * 1000 + 60_000, `the window opens at the approval and lasts grantSeconds (${window} ms)`);
      assert.ok(Date.parse(final.updatedAt) >= Date.parse(final.grantExpiresAt!), 'the lapse is recorded when the window closes, not before');
      assert.equal(run.notified.at(-1)?.kind, 'result');
    });
  });

  test('a result reported inside the grant window succeeds the action, and the window records no lapse', T, async () => {
    await withWorker(bed.env, () => ({}), async (run) => {
      const h = await run.start(workflowInput({ decision: decision({ grantSeconds: 600 }) }));
      await notifiedOf(run, 'requested');
      await vote(h, bob);
      await until(async () => (await h.query(getActionQuery)).grantExpiresAt !== null, 'the grant window');
      await bed.env.sleep('5m');
      const reported = await h.executeUpdate(reportResultUpdate, { args: [{ principal: requester.id, status: 'succeeded', output: { rows: 0 } }] });
      assert.equal(reported.status, 'succeeded');
      const final = await h.result();
      assert.deepEqual(final.result, { status: 'succeeded', output: { rows: 0 }, reportedBy: requester.id });
      assert.ok(run.eventTypes().includes('execution.succeeded'));
      assert.ok(!run.eventTypes().includes('grant.expired'));
    });
  });

  test('only the requester reports a result, and only once', T, async () => {
    const closing = gate();
    await withWorker(bed.env, slowClosing(closing), async (run) => {
      const h = await run.start(workflowInput());
      await notifiedOf(run, 'requested');
      await refused(h.executeUpdate(reportResultUpdate, { args: [{ principal: requester.id, status: 'succeeded' }] }), Refusal.notAwaitingResult);
      await vote(h, alice);
      await refused(h.executeUpdate(reportResultUpdate, { args: [{ principal: alice.id, status: 'succeeded' }] }), Refusal.notAllowed);
      await h.executeUpdate(reportResultUpdate, { args: [{ principal: requester.id, status: 'failed', output: 'boom' }] });
      await refused(h.executeUpdate(reportResultUpdate, { args: [{ principal: requester.id, status: 'succeeded' }] }), Refusal.notAwaitingResult);
      closing.release();
      assert.equal((await h.result()).status, 'failed');
    });
  });
});
