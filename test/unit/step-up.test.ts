import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Action } from '../../domain/action';
import { requestMessage } from '../../channels/slack/request-message';
import { ActionId } from '../../channels/slack/interaction-ids';
import { compilePolicy, PolicyError } from '../../policy';
import { staleSignIn } from '../../workflows/quorum';

const rule = (extra: string, decision = 'require_approval') => `version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - id: risky
    when: action == "db.drop"
    decision: ${decision}
${decision === 'require_approval' ? '    approvers: {groups: [dba], quorum: 1}\n' : ''}${extra}`;

describe('step_up: {max_age}', () => {
  test('the rule key becomes the decision\'s stepUpMaxAgeSeconds', () => {
    const policy = compilePolicy(rule('    step_up: {max_age: 5m}\n'));
    const decision = policy.evaluate({ action: 'db.drop', resource: 'r', environment: 'production', params: {}, context: {}, requester: { id: 'svc:x', kind: 'service', groups: [] }, onBehalfOf: null, now: new Date() } as never);
    assert.equal(decision.stepUpMaxAgeSeconds, 300);
  });

  test('a step_up without max_age, with an unreadable one, or on a rule that needs no approval names the line', () => {
    const fails = (text: string, pattern: RegExp) => assert.throws(() => compilePolicy(text), (e: Error) => e instanceof PolicyError && pattern.test(e.message));
    fails(rule('    step_up: {}\n'), /max_age/);
    fails(rule('    step_up: {max_age: soon}\n'), /max_age/);
    fails(rule('    step_up: {max_age: 5m}\n', 'allow'), /step_up.*only applies to decision require_approval/s);
    fails(rule('    step_up: {max_age: 5m, via: sms}\n'), /via/);
  });

  test('an approval counts only with a sign-in within max_age; a denial never needs one', () => {
    const now = Date.parse('2030-01-01T12:00:00Z');
    assert.match(staleSignIn(300, { decision: 'approve' }, now)!, /needs a sign-in/);
    assert.match(staleSignIn(300, { decision: 'approve', authTime: '2030-01-01T11:54:00Z' }, now)!, /360 s old/);
    assert.equal(staleSignIn(300, { decision: 'approve', authTime: '2030-01-01T11:56:00Z' }, now), null);
    assert.equal(staleSignIn(300, { decision: 'deny' }, now), null);
    assert.equal(staleSignIn(null, { decision: 'approve' }, now), null);
  });

  test("a Slack request on a step-up rule links Approve to the console page instead of voting", () => {
    const ctx = { actionUrl: (id: string) => `https://i.example/v1/actions/${id}`, consoleUrl: (id: string) => `https://i.example/console/actions/${id}`, temporalUrl: () => 'https://t.example', slackIdsOf: () => [] };
    const action = {
      id: 'act_01STEP', action: 'db.drop', resource: 'r', environment: 'production', params: {}, justification: null, requester: 'svc:x', onBehalfOf: null, context: {}, execute: { type: 'none' }, breakGlass: false, status: 'pending_approval',
      decision: { outcome: 'require_approval', ruleId: 'risky', policyVersion: `sha256:${'a'.repeat(64)}`, approvers: { groups: ['dba'], principals: [] }, quorum: 1, distinctGroups: false, escalationLevel: 0, escalation: [], expiresAt: null, risk: 'high', controls: [], reason: 'r', breakGlass: false, requireJustification: false, notify: {}, stepUp: { maxAgeSeconds: 300 } },
      approvals: [], result: null, statusReason: null, grantExpiresAt: null, createdAt: '2030-01-01T00:00:00.000Z', updatedAt: '2030-01-01T00:00:00.000Z',
    } as unknown as Action;
    const buttons = JSON.stringify(requestMessage(action, ctx).blocks);
    assert.ok(buttons.includes(`"url":"https://i.example/console/actions/act_01STEP"`));
    assert.ok(buttons.includes(ActionId.openConsole));
    assert.ok(!buttons.includes(`"${ActionId.approve}"`));
    assert.ok(buttons.includes(ActionId.deny));
  });
});
