import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { emailOf } from '../../domain/principal';
import { isSettled, isTerminal } from '../../domain/status';
import { publicDecision, union } from '../../workflows/decision-view';
import { initialAction } from '../../workflows/initial-action';
import { decision, workflowInput } from '../support/workflow-env';

describe('publicDecision shows who may decide, how many and until when', () => {
  test('it carries the approvers, quorum, expiry and hash, starting at escalation level 0', () => {
    const p = decision({ quorum: 2, escalation: [{ afterSeconds: 60, groups: ['sre'], principals: [] }], breakGlassGroups: ['sre-oncall'] });
    const d = publicDecision(p, '2026-01-01T01:00:00.000Z', `sha256:${'a'.repeat(64)}`);
    assert.deepEqual(d, {
      outcome: 'require_approval', ruleId: 'test-rule', policyVersion: 'sha256:test', approvers: { groups: ['data-owners'], principals: [] }, quorum: 2, distinctGroups: false,
      escalationLevel: 0, escalation: p.escalation, expiresAt: '2026-01-01T01:00:00.000Z', risk: 'high', controls: [], reason: 'matched test-rule', breakGlass: true,
      requireJustification: false, notify: {}, executeHash: `sha256:${'a'.repeat(64)}`,
    });
  });

  test('widening its approver set later leaves the policy decision unchanged', () => {
    const p = decision();
    publicDecision(p, null, undefined).approvers.groups.push('sre');
    assert.deepEqual(p.approvers.groups, ['data-owners']);
  });

  test('a gate-mode decision has no executeHash field at all', () => {
    assert.ok(!('executeHash' in publicDecision(decision(), null, undefined)));
  });

  test('a decision recorded before notify existed passes its slackChannel on, for Slack to read', () => {
    const { notify: _none, ...old } = { ...decision(), slackChannel: '#old-approvals' };
    const shown = publicDecision(old as never, null, undefined) as Record<string, unknown>;
    assert.equal(shown.slackChannel, '#old-approvals');
    assert.ok(!('notify' in shown));
  });

  test('it does not show the policy-only fields', () => {
    const d = publicDecision(decision({ grantSeconds: 60, maxParamsBytes: 10 }), null, undefined) as Record<string, unknown>;
    for (const hidden of ['timeoutSeconds', 'grantSeconds', 'maxParamsBytes', 'breakGlassGroups']) assert.ok(!(hidden in d), hidden);
  });

  test('union keeps the first order and drops repeats', () => {
    assert.deepEqual(union(['a', 'b'], ['b', 'c', 'a']), ['a', 'b', 'c']);
  });
});

describe('initialAction is the action as submitted', () => {
  test('an http action shows the method (POST by default), URL, body, headers and timeout approvers will see', () => {
    const input = workflowInput({ execute: { type: 'http', url: 'https://ops.example.com/x', body: { a: 1 }, headers: { 'x-k': 'v' }, timeoutSeconds: 5 } });
    assert.deepEqual(initialAction(input).execute, { type: 'http', method: 'POST', url: 'https://ops.example.com/x', body: { a: 1 }, headers: { 'x-k': 'v' }, timeoutSeconds: 5 });
  });

  test('fields the submission left out are absent, not undefined', () => {
    const execute = initialAction(workflowInput({ execute: { type: 'http', method: 'DELETE', url: 'https://ops.example.com/x' } })).execute;
    assert.deepEqual(Object.keys(execute), ['type', 'method', 'url']);
  });

  test('it starts evaluating, undecided, with the requester from the token and the submission time', () => {
    const input = workflowInput({ onBehalfOf: 'alice@example.com' });
    const a = initialAction(input);
    assert.equal(a.status, 'evaluating');
    assert.equal(a.requester, input.requester.id);
    assert.equal(a.onBehalfOf, 'alice@example.com');
    assert.deepEqual([a.decision, a.result, a.statusReason, a.grantExpiresAt, a.approvals], [null, null, null, null, []]);
    assert.deepEqual([a.createdAt, a.updatedAt], [input.submittedAt, input.submittedAt]);
    assert.deepEqual(a.execute, { type: 'none' });
  });
});

describe('statuses and principals', () => {
  test('approved is settled, not terminal, in gate mode only', () => {
    assert.equal(isTerminal('approved'), false);
    assert.equal(isSettled({ status: 'approved', execute: { type: 'none' } }), true);
    assert.equal(isSettled({ status: 'approved', execute: { type: 'http' } }), false);
  });

  test('every closing status is terminal and settled; the others are neither', () => {
    for (const s of ['succeeded', 'failed', 'denied', 'expired', 'cancelled'] as const) assert.ok(isTerminal(s) && isSettled({ status: s, execute: { type: 'http' } }), s);
    for (const s of ['evaluating', 'pending_approval', 'executing'] as const) assert.ok(!isTerminal(s) && !isSettled({ status: s, execute: { type: 'none' } }), s);
  });

  test('a principal\'s e-mail is the configured one, else its id when that is an address', () => {
    assert.equal(emailOf({ id: 'alice', email: 'alice@example.com' }), 'alice@example.com');
    assert.equal(emailOf({ id: 'bob@example.com' }), 'bob@example.com');
    assert.equal(emailOf({ id: 'svc:etl-bot' }), undefined);
  });
});
