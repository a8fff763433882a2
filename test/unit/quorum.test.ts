import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Vote } from '../../domain/action';
import { Refusal } from '../../workflows/messages';
import { checkVoter, isRequesterVoter, quorumReached } from '../../workflows/quorum';

const alice = { id: 'alice@example.com', kind: 'human' as const, groups: ['data-owners'], slack: 'U0ALICE' };
const bob = { id: 'bob@example.com', kind: 'human' as const, groups: ['data-owners'], slack: 'U0BOB' };
const vote = (principal: string): Vote => ({ principal, decision: 'approve', comment: null, at: '2026-01-01T00:00:00Z', via: 'api', group: 'data-owners' });

const check = (over: Partial<Parameters<typeof checkVoter>[0]>) =>
  checkVoter({
    voter: alice,
    decision: 'approve',
    approvers: { groups: ['data-owners'], principals: [] },
    approvals: [],
    distinctGroups: false,
    requester: 'svc:etl-bot',
    onBehalfOf: null,
    selfApprovalAllowed: false,
    ...over,
  });

// Workflows started before on-behalf-of was resolved recorded it as it was typed: each spelling must still refuse.
const RECORDED_ALICE = ['alice@example.com', 'Alice@example.com', ' alice@example.com', 'alice@example.com ', 'ALICE@EXAMPLE.COM', 'U0ALICE'];

describe('checkVoter compares identities, not strings', () => {
  for (const recorded of RECORDED_ALICE) {
    test(`the person an action was submitted on behalf of as ${JSON.stringify(recorded)} cannot decide on it`, () => {
      for (const decision of ['approve', 'deny'] as const) {
        const verdict = check({ onBehalfOf: recorded, decision });
        assert.equal(verdict.ok, false);
        assert.equal(verdict.refusal, Refusal.onBehalfOfApproval);
      }
    });
  }

  test('a requester listed under another id is refused when it votes under its e-mail or Slack id, and so counts as break-glass', () => {
    const listedAlice = { id: 'alice', email: 'alice@example.com', slack: 'U0ALICE' };
    assert.equal(check({ requester: listedAlice }).refusal, Refusal.selfApproval, 'voter alice@example.com is requester alice');
    assert.equal(check({ voter: { ...alice, id: 'U0ALICE', slack: undefined }, requester: listedAlice }).refusal, Refusal.selfApproval);
    assert.equal(check({ requester: { id: 'svc:etl-bot' } }).ok, true);
    assert.equal(isRequesterVoter(alice, listedAlice), true);
    assert.equal(isRequesterVoter(bob, listedAlice), false);
  });

  test('a requester recorded in another spelling cannot approve its own action', () => {
    for (const requester of ['Alice@Example.com', ' alice@example.com']) assert.equal(check({ requester }).refusal, Refusal.selfApproval);
  });

  test('a prior vote recorded in another spelling is the same voter', () => {
    assert.equal(check({ approvals: [vote('ALICE@example.com ')] }).refusal, Refusal.alreadyVoted);
  });

  test('an approver named in the policy in another case is still that approver', () => {
    const verdict = check({ voter: { ...alice, groups: [] }, approvers: { groups: [], principals: ['Alice@Example.com'] } });
    assert.deepEqual(verdict, { ok: true, group: null });
  });

  test('someone else may still approve an action on behalf of alice', () => {
    assert.equal(check({ voter: bob, onBehalfOf: 'ALICE@EXAMPLE.COM' }).ok, true);
  });
});

describe('checkVoter decides who may vote now', () => {
  const sam = { id: 'sam@example.com', kind: 'human' as const, groups: ['sre'] };
  const twoGroups = { approvers: { groups: ['data-owners', 'sre'], principals: [] }, distinctGroups: true };

  test('an approver through a group may approve, and the approval counts for that group', () => {
    assert.deepEqual(check({}), { ok: true, group: 'data-owners' });
  });

  test('someone in no approver group and not named is refused, and the message lists who may decide', () => {
    const verdict = check({ voter: sam });
    assert.equal(verdict.refusal, Refusal.notAnApprover);
    assert.match(verdict.message!, /group data-owners/);
  });

  test('a service principal is refused even inside an approver group', () => {
    assert.equal(check({ voter: { id: 'svc:deployer', kind: 'service', groups: ['data-owners'] } }).refusal, Refusal.serviceCannotApprove);
  });

  test('a second approval from a group already counted is refused when groups must be distinct', () => {
    assert.equal(check({ voter: bob, approvals: [vote('alice@example.com')], ...twoGroups }).refusal, Refusal.groupAlreadyCounted);
  });

  test('an approval from the other group counts for it when groups must be distinct', () => {
    assert.deepEqual(check({ voter: sam, approvals: [vote('alice@example.com')], ...twoGroups }), { ok: true, group: 'sre' });
  });

  test('a denial from an already-counted group is still heard', () => {
    assert.equal(check({ voter: bob, decision: 'deny', approvals: [vote('alice@example.com')], ...twoGroups }).ok, true);
  });

  test('a named approver is not limited by distinct groups', () => {
    assert.equal(check({ voter: bob, approvals: [vote('alice@example.com')], ...twoGroups, approvers: { groups: ['data-owners', 'sre'], principals: ['bob@example.com'] } }).ok, true);
  });

  test('a requester may approve its own break-glass action only when self-approval is allowed', () => {
    assert.equal(check({ requester: alice.id }).refusal, Refusal.selfApproval);
    assert.equal(check({ requester: alice.id, selfApprovalAllowed: true, voter: { ...alice, groups: ['sre-oncall'] } }).ok, true);
  });
});

describe('quorumReached counts approvals, never denials', () => {
  const deny = (principal: string): Vote => ({ ...vote(principal), decision: 'deny' });

  test('a quorum of two needs two approvals', () => {
    assert.equal(quorumReached([vote('a@example.com')], 2), false);
    assert.equal(quorumReached([vote('a@example.com'), vote('b@example.com')], 2), true);
  });

  test('denials do not count towards the quorum', () => {
    assert.equal(quorumReached([vote('a@example.com'), deny('b@example.com')], 2), false);
  });

  test('a quorum below one still needs one approval', () => {
    assert.equal(quorumReached([], 0), false);
    assert.equal(quorumReached([vote('a@example.com')], 0), true);
  });
});
