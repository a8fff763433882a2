import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Vote } from '../../domain/action';
import { Refusal } from '../../workflows/messages';
import { checkVoter } from '../../workflows/quorum';

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
