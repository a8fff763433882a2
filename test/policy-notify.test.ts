import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compilePolicy, PolicyError, type PolicyProblem } from '../policy/index';

const policy = (rule: string) => `version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - id: routed
    when: action == "db.export"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 1}
${rule}`;

const input = { action: 'db.export', resource: 'r', environment: 'production', params: {}, context: {}, requester: { id: 'svc:bot', kind: 'service', groups: [] }, onBehalfOf: null };

function problemsOf(text: string): PolicyProblem[] {
  try {
    compilePolicy(text, { source: 'policy.yaml' });
  } catch (err) {
    assert.ok(err instanceof PolicyError, `expected PolicyError, got ${err}`);
    return [...err.problems];
  }
  assert.fail('expected the policy to be rejected');
}

describe('policy: the notify rule key', () => {
  test('notify names each channel\'s target, any channel name, carried in the decision', () => {
    const d = compilePolicy(policy('    notify: {slack: "#prod-approvals", teams: "19:abc@thread.tacv2"}\n')).evaluate(input);
    assert.deepEqual(d.notify, { slack: '#prod-approvals', teams: '19:abc@thread.tacv2' });
  });

  test('slack_channel is the older spelling of notify.slack', () => {
    const d = compilePolicy(policy('    slack_channel: "#prod-approvals"\n')).evaluate(input);
    assert.deepEqual(d.notify, { slack: '#prod-approvals' });
  });

  test('a rule without either notifies nobody in particular (each channel\'s default)', () => {
    assert.deepEqual(compilePolicy(policy('')).evaluate(input).notify, {});
    assert.deepEqual(compilePolicy(policy('')).evaluate({ ...input, action: 'other' }).notify, {}, 'the default decision too');
  });

  test('slack_channel and notify on one rule: a load error naming the line and the rule', () => {
    const problems = problemsOf(policy('    notify: {teams: "x"}\n    slack_channel: "#prod-approvals"\n'));
    assert.deepEqual(problems.map((p) => [p.line, p.ruleId, p.path]), [[9, 'routed', 'rules[0].slack_channel']]);
    assert.match(problems[0].message, /older spelling of notify\.slack; with notify set, move it there/);
  });

  test('each target must be a non-empty string; notify must be a mapping', () => {
    const problems = problemsOf(policy('    notify: {slack: "", teams: 42, email: [a]}\n'));
    assert.deepEqual(problems.map((p) => [p.line, p.path]), [[8, 'rules[0].notify.slack'], [8, 'rules[0].notify.teams'], [8, 'rules[0].notify.email']]);
    assert.match(problems[0].message, /must be a non-empty string, got string/);
    assert.match(problems[1].message, /must be a non-empty string, got number/);
    const flat = problemsOf(policy('    notify: "#prod-approvals"\n'));
    assert.deepEqual(flat.map((p) => [p.line, p.path]), [[8, 'rules[0].notify']]);
    assert.match(flat[0].message, /must be a mapping of names to strings/);
    assert.deepEqual(problemsOf(policy('    notify: {__proto__: "x"}\n')).map((p) => p.path), ['rules[0].notify.__proto__']);
  });
});
