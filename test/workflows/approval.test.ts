import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getActionQuery, Refusal, reportResultUpdate } from '../../workflows/messages';
import { decision, etlBot, gate, type Activities, type Recorded, human, notifiedOf, refused, requester, suiteTestbed, until, vote, withWorker, workflowInput } from '../support/workflow-env';

const alice = human('alice@example.com', ['data-owners'], { slack: 'U0ALICE' });
const bob = human('bob@example.com', ['data-owners']);
const sam = human('sam@example.com', ['sre']);
const cleo = human('ciso@example.com', ['security']);
const outsider = human('olga@example.com', ['marketing']);

const bed = suiteTestbed();

const T = { timeout: 60_000 };

describe('quorum', () => {
  test('two approvals approve a gate-mode action that needs two, and its grant window opens', T, async () => {
    await withWorker(bed.env, () => ({}), async (run) => {
      const h = await run.start(workflowInput({ decision: decision({ quorum: 2, grantSeconds: 900 }) }));
      await notifiedOf(run, 'requested');
      const first = await vote(h, alice);
      assert.equal(first.status, 'pending_approval');
      const second = await vote(h, bob);
      assert.equal(second.status, 'approved');
      assert.equal(second.statusReason, 'approved by alice@example.com, bob@example.com');
      await until(async () => (await h.query(getActionQuery)).grantExpiresAt !== null, 'the grant window');
      const approved = await h.query(getActionQuery);
      assert.equal(approved.status, 'approved');
      assert.ok(Date.parse(approved.grantExpiresAt!) > Date.parse(approved.createdAt));
      assert.deepEqual(run.eventTypes().filter((t) => t.startsWith('approval.') || t.startsWith('action.')), ['action.submitted', 'approval.requested', 'approval.decision', 'approval.decision', 'action.approved']);
      await h.executeUpdate(reportResultUpdate, { args: [{ principal: requester.id, status: 'succeeded' }] });
      assert.equal((await h.result()).status, 'succeeded');
    });
  });

  test('a requester cannot approve its own action, nor the principal it was submitted on behalf of, in any spelling', T, async () => {
    await withWorker(bed.env, () => ({}), async (run) => {
      const h = await run.start(workflowInput({ onBehalfOf: ' Alice@Example.COM', requester: { ...requester, groups: ['data-owners'] } }));
      await notifiedOf(run, 'requested');
      await refused(vote(h, { ...requester, groups: ['data-owners'] }), Refusal.selfApproval);
      await refused(vote(h, { ...requester, id: 'RITA@example.com', groups: ['data-owners'] }), Refusal.selfApproval);
      await refused(vote(h, alice), Refusal.onBehalfOfApproval);
      await refused(vote(h, alice, 'deny'), Refusal.onBehalfOfApproval);
      assert.equal((await h.query(getActionQuery)).approvals.length, 0);
      assert.equal((await vote(h, bob)).status, 'approved');
    });
  });

  test('an action submitted on behalf of a Slack user id refuses that user', T, async () => {
    await withWorker(bed.env, () => ({}), async (run) => {
      const h = await run.start(workflowInput({ onBehalfOf: 'u0alice' }));
      await notifiedOf(run, 'requested');
      await refused(vote(h, alice), Refusal.onBehalfOfApproval);
    });
  });

  test('someone outside the approver set, and a service principal inside it, cannot vote', T, async () => {
    await withWorker(bed.env, () => ({}), async (run) => {
      const h = await run.start(workflowInput());
      await notifiedOf(run, 'requested');
      await refused(vote(h, outsider), Refusal.notAnApprover);
      await refused(vote(h, etlBot), Refusal.serviceCannotApprove);
      assert.equal((await h.query(getActionQuery)).status, 'pending_approval');
      assert.ok(!run.eventTypes().includes('approval.decision'), 'a refused vote writes nothing');
    });
  });

  test('an approver cannot vote twice, and nobody votes once the action is decided', T, async () => {
    await withWorker(bed.env, () => ({}), async (run) => {
      const h = await run.start(workflowInput({ decision: decision({ quorum: 2 }) }));
      await notifiedOf(run, 'requested');
      await vote(h, alice);
      await refused(vote(h, alice), Refusal.alreadyVoted);
      await refused(vote(h, { ...alice, id: 'ALICE@example.com' }), Refusal.alreadyVoted);
      await vote(h, bob, 'deny', 'not today');
      await refused(vote(h, human('dan@example.com', ['data-owners'])), Refusal.actionClosed);
      const final = await h.result();
      assert.equal(final.status, 'denied');
      assert.equal(final.statusReason, 'denied by bob@example.com: not today');
      assert.equal(final.approvals.length, 2);
    });
  });
});

describe('distinct groups', () => {
  test('a second approval from an already-counted group is refused; one from the other group approves', T, async () => {
    await withWorker(bed.env, () => ({}), async (run) => {
      const h = await run.start(workflowInput({ decision: decision({ quorum: 2, distinctGroups: true, approvers: { groups: ['data-owners', 'sre'], principals: [] } }) }));
      await notifiedOf(run, 'requested');
      await vote(h, alice);
      await refused(vote(h, bob), Refusal.groupAlreadyCounted);
      const approved = await vote(h, sam);
      assert.equal(approved.status, 'approved');
      assert.deepEqual(approved.approvals.map((v) => [v.principal, v.group]), [['alice@example.com', 'data-owners'], ['sam@example.com', 'sre']]);
    });
  });
});

describe('escalation tiers', () => {
  const tiers = [
    { afterSeconds: 600, groups: ['sre'], principals: [] },
    { afterSeconds: 1800, groups: ['security'], principals: ['ciso@example.com'] },
  ];

  test('after its afterSeconds a tier widens the approver set, and someone from the added group can approve', T, async () => {
    await withWorker(bed.env, () => ({}), async (run) => {
      const h = await run.start(workflowInput({ decision: decision({ escalation: tiers.slice(0, 1), timeoutSeconds: 7200 }) }));
      await notifiedOf(run, 'requested');
      await refused(vote(h, sam), Refusal.notAnApprover);
      await bed.env.sleep('10m');
      await notifiedOf(run, 'escalated');
      const escalated = await h.query(getActionQuery);
      assert.equal(escalated.decision!.escalationLevel, 1);
      assert.deepEqual(escalated.decision!.approvers.groups, ['data-owners', 'sre']);
      const event = run.events().find((e) => e.type === 'approval.escalated');
      assert.deepEqual(event?.data, { level: 1, added: { groups: ['sre'], principals: [] }, approvers: { groups: ['data-owners', 'sre'], principals: [] } });
      assert.deepEqual(run.notified.find((c) => c.kind === 'escalated')?.escalation, { level: 1, groups: ['sre'], principals: [] });
      assert.equal((await vote(h, sam)).status, 'approved');
    });
  });

  test('two tiers widen the approver set in order, each at its own time', T, async () => {
    await withWorker(bed.env, () => ({}), async (run) => {
      const h = await run.start(workflowInput({ decision: decision({ escalation: tiers, timeoutSeconds: 7200 }) }));
      await notifiedOf(run, 'requested');
      await bed.env.sleep('10m');
      await notifiedOf(run, 'escalated');
      await refused(vote(h, cleo), Refusal.notAnApprover);
      await bed.env.sleep('20m');
      await notifiedOf(run, 'escalated', 2);
      const escalated = await h.query(getActionQuery);
      assert.equal(escalated.decision!.escalationLevel, 2);
      assert.deepEqual(escalated.decision!.approvers, { groups: ['data-owners', 'sre', 'security'], principals: ['ciso@example.com'] });
      assert.deepEqual(run.events().filter((e) => e.type === 'approval.escalated').map((e) => e.data.level), [1, 2]);
      assert.deepEqual(run.notified.filter((c) => c.kind === 'escalated').map((c) => c.escalation?.level), [1, 2]);
      assert.equal((await vote(h, cleo)).status, 'approved');
    });
  });
});

describe('expiry', () => {
  test('no quorum before the deadline ends the action expired, never denied, after hours of workflow time', T, async () => {
    await withWorker(bed.env, () => ({}), async (run) => {
      const h = await run.start(workflowInput({ decision: decision({ quorum: 2, timeoutSeconds: 4 * 3600 }) }));
      await notifiedOf(run, 'requested');
      await vote(h, alice);
      const final = await h.result(); // the test server skips the four hours while the result is awaited
      assert.equal(final.status, 'expired');
      assert.match(final.statusReason ?? '', /^no quorum before .* \(1 of 2 approvals\)$/);
      assert.ok(Date.parse(final.updatedAt) - Date.parse(final.createdAt) >= 4 * 3600 * 1000, 'expired at the deadline, not before');
      const types = run.eventTypes();
      assert.ok(types.includes('action.expired'));
      assert.ok(!types.includes('action.denied'));
      assert.deepEqual(run.events().find((e) => e.type === 'action.expired')?.data, { approvals: 1, quorum: 2, expiresAt: final.decision!.expiresAt });
      assert.equal(run.notified.at(-1)?.kind, 'closed');
    });
  });

  test('an action past its deadline is expired and refuses a late vote', T, async () => {
    const closing = gate();
    const notify = (r: Recorded): Partial<Activities> => ({
      notifyActionChange: async (c) => {
        r.notified.push(c);
        if (c.kind === 'closed') await closing.wait; // holds the workflow open, as a slow channel would
      },
    });
    await withWorker(bed.env, notify, async (run) => {
      const h = await run.start(workflowInput({ decision: decision({ timeoutSeconds: 2 * 3600 }) }));
      await notifiedOf(run, 'requested');
      await bed.env.sleep('2h');
      await notifiedOf(run, 'closed');
      await refused(vote(h, alice), Refusal.actionClosed);
      closing.release();
      assert.equal((await h.result()).status, 'expired');
    });
  });
});
