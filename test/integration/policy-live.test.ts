import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startStack, type TestStack } from '../support/stack';

const BOT = 'svc:etl-bot';
const base = (exportDecision: string) => `version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - id: export
    when: action == "db.export"
    decision: ${exportDecision}${exportDecision === 'require_approval' ? '\n    approvers: {groups: [data-owners], quorum: 1}' : ''}
  - id: admin-grant
    when: action == "iam.grant"
    decision: require_approval
    approvers: {groups: [security, dba], quorum: 2, distinct_groups: true}
  - id: incident
    when: action.startsWith("infra.")
    decision: require_approval
    approvers: {groups: [security-oncall], quorum: 2}
    break_glass: {groups: [sre-oncall]}
`;
const principals = `principals:
  - {id: "svc:etl-bot", kind: service, groups: [pipelines]}
  - {id: "bob@example.com", kind: human, groups: [data-owners, admins]}
  - {id: "carol@example.com", kind: human, groups: [security]}
  - {id: "frank@example.com", kind: human, groups: [security]}
  - {id: "erin@example.com", kind: human, groups: [dba]}
  - {id: "sre@example.com", kind: human, groups: [sre-oncall]}
  - {id: "oncall@example.com", kind: human, groups: [security-oncall]}
  - {id: "dave@example.com", kind: human, groups: [auditors]}
`;

describe('policy changes take effect live, safely', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack({ policy: base('require_approval'), principals });
  });
  after(() => stack?.stop());

  const decisionOf = async (as: string, body: Record<string, unknown>) => {
    const a = await stack.submit(as, body);
    return stack.until(as, a.id, (x) => x.status !== 'evaluating');
  };
  const waitVersion = async (pred: (v: string, ok: boolean) => boolean) => {
    const end = Date.now() + 15_000;
    while (Date.now() < end) {
      const ready = (await stack.call(null, 'GET', '/readyz')).body;
      if (pred(ready.checks.policy.version, ready.checks.policy.ok)) return ready;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('policy version did not change');
  };

  test('an edit on disk changes the next submission with no restart; a waiting action keeps its decision; a broken edit keeps the old version and /readyz says so', async () => {
    const waiting = await decisionOf(BOT, { action: 'db.export', resource: 'r' });
    assert.equal(waiting.status, 'pending_approval');
    const v1 = waiting.decision.policyVersion;

    writeFileSync(stack.policyFile, base('deny'));
    await waitVersion((v) => v !== v1);
    const after = await decisionOf(BOT, { action: 'db.export', resource: 'r' });
    assert.equal(after.status, 'denied');
    assert.notEqual(after.decision.policyVersion, v1);
    const still = (await stack.call(BOT, 'GET', `/v1/actions/${waiting.id}`)).body;
    assert.equal(still.status, 'pending_approval');
    assert.equal(still.decision.policyVersion, v1, 'an action already waiting keeps the version it was decided under');

    const v2 = after.decision.policyVersion;
    writeFileSync(stack.policyFile, base('deny').replace('when: action == "db.export"', 'when: action == '));
    const broken = await waitVersion((_v, ok) => !ok);
    // Still ready (the last good version serves), the body naming the broken file and line, the gauge at 0.
    assert.equal((await stack.call(null, 'GET', '/readyz')).status, 200);
    assert.equal(broken.checks.policy.serving, true);
    assert.match(broken.warnings[0], new RegExp(`${stack.policyFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*:5`));
    assert.match((await stack.call(null, 'GET', '/metrics')).body, /^interlock_policy_load_ok 0$/m);
    assert.equal(broken.checks.policy.version, v2);
    assert.match(broken.checks.policy.error, /export/);
    assert.match(broken.checks.policy.error, /:5/);
    const meanwhile = await decisionOf(BOT, { action: 'db.export', resource: 'r' });
    assert.equal(meanwhile.decision.policyVersion, v2, 'the last good version stays in force');

    writeFileSync(stack.policyFile, base('require_approval'));
    await waitVersion((_v, ok) => ok);
    assert.equal((await stack.call(null, 'GET', '/readyz')).status, 200);
  });

  test('an idempotent replay answers the action it made, even after an edit that would refuse its body now', async () => {
    const body = { action: 'db.export', resource: 'replay://live' };
    const key = { 'idempotency-key': `live-replay-${Date.now()}` };
    const first = await stack.call(BOT, 'POST', '/v1/actions', body, key);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const before = (await stack.call(null, 'GET', '/readyz')).body.checks.policy.version;
    const strict = base('require_approval').replace('approvers: {groups: [data-owners], quorum: 1}', 'approvers: {groups: [data-owners], quorum: 1}\n    require_justification: true');
    writeFileSync(stack.policyFile, strict);
    const strictVersion = (await waitVersion((v, ok) => v !== before && ok)).checks.policy.version;
    try {
      const fresh = await stack.call(BOT, 'POST', '/v1/actions', body);
      assert.equal(fresh.status, 422, 'a new submission of that body is refused now');
      assert.equal(fresh.body.error.details[0].field, 'justification');
      const replay = await stack.call(BOT, 'POST', '/v1/actions', body, key);
      assert.equal(replay.status, 202, JSON.stringify(replay.body));
      assert.equal(replay.body.id, first.body.id, 'the same action');
      const other = await stack.call(BOT, 'POST', '/v1/actions', { ...body, resource: 'replay://other' }, key);
      assert.equal(other.status, 422);
      assert.equal(other.body.error.code, 'idempotency_key_reused');
    } finally {
      writeFileSync(stack.policyFile, base('require_approval'));
      await waitVersion((v, ok) => v !== strictVersion && ok);
      await stack.call(BOT, 'POST', `/v1/actions/${first.body.id}/cancel`, {});
    }
  });

  test('a distinct-groups quorum refuses a second approver from the same group', async () => {
    const a = await decisionOf(BOT, { action: 'iam.grant', resource: 'iam://role/admin', params: { role: 'admin' } });
    const vote = (who: string) => stack.call(who, 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve' });
    assert.equal((await vote('carol@example.com')).status, 200);
    const sameGroup = await vote('frank@example.com');
    assert.equal(sameGroup.status, 409);
    assert.equal(sameGroup.body.error.code, 'group_already_counted');
    assert.match(sameGroup.body.error.message, /security/);
    const other = await vote('erin@example.com');
    assert.equal(other.body.status, 'approved');
    assert.deepEqual(other.body.approvals.map((v: any) => v.group), ['security', 'dba']);
  });

  test('break-glass lets the named group self-approve only with the flag, and flags the action for review', async () => {
    const plain = await decisionOf('sre@example.com', { action: 'infra.restart', resource: 'k8s://prod/api' });
    const refused = await stack.call('sre@example.com', 'POST', `/v1/actions/${plain.id}/decisions`, { decision: 'approve' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'self_approval');

    const glass = await decisionOf('sre@example.com', { action: 'infra.restart', resource: 'k8s://prod/api', breakGlass: true, justification: 'outage INC-42' });
    const self = await stack.call('sre@example.com', 'POST', `/v1/actions/${glass.id}/decisions`, { decision: 'approve', comment: 'restoring service' });
    assert.equal(self.status, 200);
    assert.equal(self.body.status, 'approved');
    const events = (await stack.call('dave@example.com', 'GET', `/v1/actions/${glass.id}/audit`)).body.items;
    const approved = events.find((e: any) => e.type === 'action.approved');
    assert.equal(approved.data.breakGlass, true);
    assert.equal(approved.data.reviewRequired, true);

    const notInGroup = await decisionOf(BOT, { action: 'infra.restart', resource: 'k8s://prod/api', breakGlass: true });
    const botSelf = await stack.call(BOT, 'POST', `/v1/actions/${notInGroup.id}/decisions`, { decision: 'approve' });
    assert.equal(botSelf.status, 403, 'break-glass is for the named group only');
  });

  test('the dry run returns the decision, the matching rule and why each earlier rule did not match; it starts nothing', async () => {
    const res = await stack.call(BOT, 'POST', '/v1/policy/evaluate', { action: 'infra.scale', resource: 'k8s://x' });
    assert.equal(res.status, 200);
    assert.equal(res.body.decision.ruleId, 'incident');
    assert.equal(res.body.trace.length, 3);
    assert.equal(res.body.trace[0].matched, false);
    assert.match(res.body.trace[0].reason, /false/);
    assert.equal(res.body.trace[2].matched, true);
  });
});
