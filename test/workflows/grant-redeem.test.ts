import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { workflowBundle, workflowSinks } from '../../worker';
import { cancelUpdate, decideUpdate, getActionQuery, redeemGrantUpdate, Refusal, reportResultUpdate } from '../../workflows/messages';
import { decision, gate, human, notifiedOf, refused, requester, suiteTestbed, until, vote, withWorker, workflowInput } from '../support/workflow-env';

const alice = human('alice@example.com', ['data-owners']);
const T = { timeout: 60_000 };
const HASH = `sha256:${'a'.repeat(64)}`;

const bed = suiteTestbed();

/** A finished run's history replays on the current code: the new paths are deterministic (uuid4, patched in a handler). */
const replays = async (h: { fetchHistory: () => Promise<any> }) => Worker.runReplayHistory({ workflowBundle: await workflowBundle(), sinks: workflowSinks() }, await h.fetchHistory());

/** Holds the workflow open at its last notification, so a late update meets the closed window, not a finished workflow. */
const holdingResult = (held: ReturnType<typeof gate>) => (r: { notified: unknown[] }) => ({
  notifyActionChange: async (c: any) => {
    r.notified.push(c);
    if (c.kind === 'result') await held.wait;
  },
});

type Handle = { executeUpdate: (...a: any[]) => Promise<any>; query: (...a: any[]) => Promise<any> };
const redeem = (h: Handle, jti: string, principal = requester.id) => h.executeUpdate(redeemGrantUpdate, { args: [{ principal, jti, paramsHash: HASH }] });
const grantOf = async (h: Handle) => {
  await until(async () => !!(await h.query(getActionQuery)).grant, 'the grant');
  return (await h.query(getActionQuery)).grant as { jti: string; issuedAt: string; expiresAt: string; redeemedAt: string | null };
};

describe('a gate-mode grant', () => {
  test('is issued in the approval step: grant.issued with its jti and window, never a token', T, async () => {
    await withWorker(bed.env, () => ({}), async (run) => {
      const h = await run.start(workflowInput({ decision: decision({ grantSeconds: 600 }) }));
      await notifiedOf(run, 'requested');
      const approved = await vote(h, alice);
      assert.equal(approved.status, 'approved');
      const grant = await grantOf(h);
      assert.match(grant.jti, /^[0-9a-f-]{36}$/);
      assert.equal(Date.parse(grant.expiresAt) - Date.parse(grant.issuedAt), 600_000);
      assert.equal(grant.redeemedAt, null);
      const approvalStep = run.steps.find((s) => s.events.some((e) => e.type === 'action.approved'))!;
      assert.deepEqual(approvalStep.events.map((e) => e.type), ['approval.decision', 'action.approved', 'grant.issued'], 'the grant is in the same step as the approval');
      assert.deepEqual(approvalStep.events.at(-1)!.data, { jti: grant.jti, issuedAt: grant.issuedAt, expiresAt: grant.expiresAt });
      assert.ok(!JSON.stringify(run.steps).includes('"token"'), 'no token in any step');
      await h.executeUpdate(cancelUpdate, { args: [{ principal: requester.id, isAdmin: false }] });
    });
  });

  test('redeemed once: executing, then the result succeeds it; a second redemption is grant_used', T, async () => {
    await withWorker(bed.env, () => ({}), async (run) => {
      const h = await run.start(workflowInput({ decision: decision({ grantSeconds: 600 }) }));
      await notifiedOf(run, 'requested');
      await vote(h, alice);
      const { jti } = await grantOf(h);
      await refused(redeem(h, jti, alice.id), Refusal.notAllowed);
      await refused(redeem(h, '00000000-0000-4000-8000-000000000000'), Refusal.grantInvalid);
      const both = await Promise.allSettled([redeem(h, jti), redeem(h, jti)]);
      const taken = both.filter((r) => r.status === 'fulfilled') as PromiseFulfilledResult<any>[];
      assert.equal(taken.length, 1, 'two redemptions at once: exactly one is taken');
      assert.equal(taken[0].value.status, 'executing');
      await refused(redeem(h, jti), Refusal.grantUsed);
      await refused(h.executeUpdate(cancelUpdate, { args: [{ principal: requester.id, isAdmin: false }] }), Refusal.actionClosed);
      const done = await h.executeUpdate(reportResultUpdate, { args: [{ principal: requester.id, status: 'succeeded', output: { exitCode: 0 } }] });
      assert.equal(done.status, 'succeeded');
      assert.equal((await h.result()).status, 'succeeded');
      const types = run.eventTypes();
      assert.deepEqual(types.slice(types.indexOf('grant.issued')), ['grant.issued', 'grant.redeemed', 'execution.started', 'execution.succeeded']);
      assert.deepEqual(run.events().find((e) => e.type === 'grant.redeemed')!.data.paramsHash, HASH);
      await replays(h as never);
    });
  });

  test("a held gateway call's claim: the approving vote redeems for it in the approval's step; a lapsed, foreign or other-params claim does not", T, async () => {
    await withWorker(bed.env, () => ({}), async (run) => {
      const claimVote = (h: any, claim: Record<string, string>) => h.executeUpdate(decideUpdate, { args: [{ principal: alice, decision: 'approve', via: 'api', claim }] });
      // Workflow time here is the skipping server's (earlier tests moved it on): a lease far in the future is live.
      const live = (principal = requester.id, until = '2999-01-01T00:00:00.000Z') => ({ claimId: 'clm_1', principal, paramsHash: HASH, until });

      const h = await run.start({ ...workflowInput({ decision: decision({ grantSeconds: 600 }) }), paramsHash: HASH });
      await notifiedOf(run, 'requested');
      const answered = await claimVote(h, live());
      assert.equal(answered.status, 'executing', 'approved and redeemed in one vote');
      assert.equal(answered.grant.claim, 'clm_1');
      const step = run.steps.find((s) => s.events.some((e) => e.type === 'action.approved'))!;
      assert.deepEqual(step.events.map((e) => e.type), ['approval.decision', 'action.approved', 'grant.issued', 'grant.redeemed', 'execution.started'], 'one step');
      assert.equal(step.events.find((e) => e.type === 'grant.redeemed')!.data.paramsHash, HASH);
      await refused(redeem(h, answered.grant.jti), Refusal.grantUsed);
      const done = await h.executeUpdate(reportResultUpdate, { args: [{ principal: requester.id, status: 'succeeded', output: 'ran' }] });
      assert.equal(done.status, 'succeeded');
      assert.equal((await h.result()).status, 'succeeded');
      await replays(h as never);

      for (const claim of [live(alice.id), live(requester.id, '2000-01-01T00:00:00.000Z'), { ...live(), paramsHash: `sha256:${'b'.repeat(64)}` }]) {
        const other = await run.start({ ...workflowInput({ decision: decision({ grantSeconds: 600 }) }), paramsHash: HASH });
        await until(async () => (await other.query(getActionQuery)).status === 'pending_approval', 'pending');
        const plain = await claimVote(other, claim);
        assert.equal(plain.status, 'approved', `not redeemed for ${JSON.stringify(claim)}`);
        assert.equal(plain.grant.redeemedAt, null);
        await other.executeUpdate(cancelUpdate, { args: [{ principal: requester.id, isAdmin: false }] });
      }
    });
  });

  test('an approving, claim-redeeming vote the trail cannot record leaves no grant and no redemption: denied, fail closed', T, async () => {
    const refusesApproval = (r: { steps: unknown[] }) => ({
      recordStep: async (step: { events: { type: string }[] }) => {
        if (step.events.some((e) => e.type === 'action.approved')) throw ApplicationFailure.nonRetryable('the audit trail refused this step', 'AuditDataRejected');
        r.steps.push(step);
      },
    });
    await withWorker(bed.env, refusesApproval as never, async (run) => {
      const h = await run.start({ ...workflowInput({ decision: decision({ grantSeconds: 600 }) }), paramsHash: HASH });
      await notifiedOf(run, 'requested');
      const claim = { claimId: 'clm_1', principal: requester.id, paramsHash: HASH, until: '2999-01-01T00:00:00.000Z' };
      await assert.rejects(h.executeUpdate(decideUpdate, { args: [{ principal: alice, decision: 'approve', via: 'api', claim }] }));
      const final = await h.result();
      assert.equal(final.status, 'denied');
      assert.match(final.statusReason ?? '', /fail closed/);
      assert.deepEqual(final.approvals, []);
      assert.equal(final.grant, undefined, 'no grant for an approval the trail does not hold');
      assert.equal(final.grantExpiresAt, null);
      await replays(h as never);
    });
  });

  test('redeemed but no result when the window closes: failed, and the reason says so', T, async () => {
    await withWorker(bed.env, () => ({}), async (run) => {
      const h = await run.start(workflowInput({ decision: decision({ grantSeconds: 2 * 3600 }) }));
      await notifiedOf(run, 'requested');
      await vote(h, alice);
      const { jti, expiresAt } = await grantOf(h);
      await redeem(h, jti);
      const final = await h.result(); // two hours, skipped
      assert.equal(final.status, 'failed');
      assert.match(final.statusReason ?? '', /redeemed at .* but no result was reported before its window closed at/);
      assert.equal(final.result?.status, 'failed');
      assert.ok(Date.parse(final.updatedAt) >= Date.parse(expiresAt), 'failed when the window closed, not before');
      assert.equal(run.eventTypes().at(-1), 'execution.failed');
      assert.ok(!run.eventTypes().includes('grant.expired'));
      await replays(h as never);
    });
  });

  test('not redeemed: it lapses as before (grant.expired, still approved), and a late redemption is grant_expired', T, async () => {
    const held = gate();
    await withWorker(bed.env, holdingResult(held) as never, async (run) => {
      const h = await run.start(workflowInput({ decision: decision({ grantSeconds: 3600 }) }));
      await notifiedOf(run, 'requested');
      await vote(h, alice);
      const { jti } = await grantOf(h);
      await bed.env.sleep('60m'); // to the window's end exactly: once the held notification runs, time no longer skips
      await notifiedOf(run, 'result');
      assert.ok(run.eventTypes().includes('grant.expired'));
      await refused(redeem(h, jti), Refusal.grantExpired);
      held.release();
      const final = await h.result();
      assert.equal(final.status, 'approved');
      assert.equal(final.grant?.redeemedAt, null);
    });
  });

  test('a result is still accepted in approved without a redemption (compatibility)', T, async () => {
    const held = gate();
    await withWorker(bed.env, holdingResult(held) as never, async (run) => {
      const h = await run.start(workflowInput());
      await notifiedOf(run, 'requested');
      await vote(h, alice);
      const { jti } = await grantOf(h);
      assert.equal((await h.executeUpdate(reportResultUpdate, { args: [{ principal: requester.id, status: 'succeeded' }] })).status, 'succeeded');
      await refused(redeem(h, jti), Refusal.grantUsed);
      held.release();
      assert.equal((await h.result()).status, 'succeeded');
    });
  });

  test('an executed (http) action gets no grant', T, async () => {
    await withWorker(bed.env, () => ({}), async (run) => {
      const h = await run.start(workflowInput({ execute: { type: 'http', method: 'POST', url: 'https://ops.example.com/run' } }));
      await notifiedOf(run, 'requested');
      await vote(h, alice);
      const final = await h.result();
      assert.equal(final.status, 'succeeded');
      assert.equal(final.grant, undefined);
      assert.ok(!run.eventTypes().includes('grant.issued'));
    });
  });
});
