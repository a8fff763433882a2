import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { compilePolicy, parseDuration, PolicyError, type PolicyProblem } from '../policy/index';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/policy/${name}`, import.meta.url), 'utf8');

function problemsOf(text: string): PolicyProblem[] {
  try {
    compilePolicy(text);
  } catch (err) {
    assert.ok(err instanceof PolicyError, `expected PolicyError, got ${err}`);
    assert.equal(err.name, 'PolicyError');
    return [...err.problems];
  }
  assert.fail('expected the policy to be rejected');
}

const policy = (rules: string, defaults = 'defaults: {decision: deny, timeout: 1h}') => `version: 1\n${defaults}\nrules:\n${rules}`;

describe('compilePolicy', () => {
  test('compiles the contract example, versioned by the sha256 of its bytes', () => {
    const p = compilePolicy(fixture('valid.yaml'), { source: 'valid.yaml' });
    assert.match(p.version, /^sha256:[0-9a-f]{64}$/);
    assert.equal(p.source, 'valid.yaml');
    assert.deepEqual(p.rules.map((r) => r.id), ['read-only', 'prod-data-export', 'iam-changes', 'no-weekend-deploys', 'deploys']);
    const exportRule = p.rules[1];
    assert.equal(exportRule.line, 13);
    assert.equal(exportRule.timeoutSeconds, 1800);
    assert.deepEqual(exportRule.escalation, [{ afterSeconds: 600, groups: ['security-oncall'], principals: [] }]);
    assert.equal(p.rules[4].escalation[1].afterSeconds, 5400, 'fractional durations are accepted');
    assert.equal(compilePolicy(fixture('valid.yaml')).version, p.version, 'same bytes, same version');
    assert.notEqual(compilePolicy(fixture('valid.yaml') + '\n').version, p.version);
  });

  test('reports every seeded error at its line, naming the rule', () => {
    const problems = problemsOf(fixture('broken.yaml'));
    const found = problems.map((p) => [p.line, p.ruleId, p.path]);
    assert.deepEqual(found, [
      [7, 'bad-syntax', 'rules[0].when'],
      [10, 'unknown-variable', 'rules[1].when'],
      [15, 'unknown-key', 'rules[2].approver'],
      [16, 'missing-approvers', 'rules[3].approvers'],
      [19, 'unknown-variable', 'rules[4].id'],
      [26, 'bad-duration', 'rules[5].timeout'],
    ]);
    assert.match(problems[0].message, /syntax/);
    assert.match(problems[1].message, /Unknown variable: actor/);
    assert.match(problems[2].message, /unknown key "approver"; did you mean "approvers"\?/);
    assert.match(problems[4].message, /duplicate rule id "unknown-variable" \(first used at line 9\)/);
    assert.match(problems[5].message, /"10 minutes" is not a duration/);
  });

  test('the error message lists all problems as file:line rule "id"', () => {
    try {
      compilePolicy(fixture('broken.yaml'), { source: 'policy.yaml' });
      assert.fail('expected PolicyError');
    } catch (err) {
      assert.ok(err instanceof PolicyError);
      assert.match(err.message, /^policy\.yaml has 6 problems:/);
      assert.match(err.message, /\n  policy\.yaml:15 rule "unknown-key": approver: unknown key "approver"/);
      assert.match(err.message, /policy\.yaml:26 rule "bad-duration": timeout: /);
    }
  });

  test('a CEL error inside a block scalar is placed on its own line', () => {
    const [p] = problemsOf(policy('  - id: multi\n    when: |\n      action == "x" &&\n      nope == 1\n    decision: allow\n'));
    assert.equal(p.line, 7);
    assert.match(p.message, /Unknown variable: nope/);
  });

  test('a condition must be boolean', () => {
    const [p] = problemsOf(policy('  - {id: count, when: "1 + 2", decision: allow}\n'));
    assert.equal(p.line, 4);
    assert.match(p.message, /yields int, not bool/);
  });

  test('YAML syntax errors carry their line', () => {
    const [p] = problemsOf('version: 1\ndefaults: {decision: deny, timeout: 1h}\nrules:\n  - id: a\n    when: [unclosed\n');
    assert.ok(p.line !== null && p.line >= 5, `line ${p.line}`);
    assert.match(p.message, /YAML syntax/);
  });

  test('top-level and defaults are validated strictly', () => {
    const problems = problemsOf('version: 2\ndefaults: {decision: require_approval}\nextra: 1\nrules: []\n');
    assert.deepEqual(problems.map((p) => [p.line, p.path]), [
      [1, 'version'],
      [2, 'defaults.decision'],
      [3, 'extra'],
    ]);
  });

  test('version and defaults may be left out: version 1, deny (fail closed), approvals within 1h', () => {
    const bare = compilePolicy('rules:\n  - {id: reads, when: \'action.startsWith("read.")\', decision: allow}\n');
    assert.deepEqual(bare.defaults, { decision: 'deny', timeoutSeconds: 3600, grantSeconds: null });
    const halfway = compilePolicy('version: 1\ndefaults: {decision: deny}\nrules:\n  - {id: x, when: \'action == "x"\', decision: require_approval, approvers: {groups: [g]}}\n');
    assert.equal(halfway.defaults.timeoutSeconds, 3600);
  });

  test('durations may combine units from the largest down: 1h30m, 2d12h, 2m30s', () => {
    const p = compilePolicy(policy('  - {id: x, when: \'action == "x"\', decision: require_approval, approvers: {groups: [g]}, timeout: 1h30m, escalation: [{after: 2m30s, groups: [h]}]}\n'));
    assert.equal(p.rules[0].timeoutSeconds, 5400);
    assert.equal(parseDuration('2d12h'), 216000);
    assert.equal(parseDuration('1.5h'), 5400);
    for (const bad of ['30m1h', '1h1h', 'h', '', '10', '1w']) assert.equal(parseDuration(bad), null, bad);
  });

  test('distinct_groups: quorum must be reachable by distinct groups', () => {
    const ok = compilePolicy(policy('  - id: iam\n    when: action == "iam.grant"\n    decision: require_approval\n    approvers: {groups: [security, platform], quorum: 2, distinct_groups: true}\n'));
    assert.deepEqual([ok.rules[0].quorum, ok.rules[0].distinctGroups, ok.rules[0].approvers], [2, true, { groups: ['security', 'platform'], principals: [] }]);
    const [p] = problemsOf(policy('  - id: iam\n    when: action == "iam.grant"\n    decision: require_approval\n    approvers:\n      groups: [security]\n      quorum: 2\n      distinct_groups: true\n'));
    assert.equal(p.line, 9);
    assert.equal(p.ruleId, 'iam');
    assert.match(p.message, /quorum 2 can never be reached by 1 distinct group/);
  });

  test('quorum must be at least 1 and at most the named principals', () => {
    const problems = problemsOf(policy('  - {id: a, when: "true", decision: require_approval, approvers: {principals: [alice], quorum: 2}}\n  - {id: b, when: "true", decision: require_approval, approvers: {groups: [x], quorum: 0}}\n'));
    assert.deepEqual(problems.map((p) => [p.line, p.ruleId]), [[4, 'a'], [5, 'b']]);
  });

  test('break_glass lists the groups that may self-approve', () => {
    const p = compilePolicy(policy('  - id: db\n    when: action == "db.drop"\n    decision: require_approval\n    approvers: {groups: [dba]}\n    break_glass: {groups: [sre-oncall, incident-commanders]}\n'));
    assert.deepEqual(p.rules[0].breakGlassGroups, ['sre-oncall', 'incident-commanders']);
    const [bad] = problemsOf(policy('  - id: db\n    when: "true"\n    decision: deny\n    break_glass: {groups: []}\n'));
    assert.deepEqual([bad.line, bad.path], [7, 'rules[0].break_glass.groups']);
  });

  test('escalation steps must increase and end before the timeout', () => {
    const problems = problemsOf(policy('  - id: e\n    when: "true"\n    decision: require_approval\n    approvers: {groups: [a]}\n    timeout: 30m\n    escalation:\n      - {after: 20m, groups: [b]}\n      - {after: 10m, groups: [c]}\n      - {after: 30m, groups: [d]}\n'));
    assert.deepEqual(problems.map((p) => p.line), [11, 12]);
    assert.match(problems[0].message, /later than the previous step/);
    assert.match(problems[1].message, /not before the timeout/);
  });

  test('approvers and escalation belong to require_approval only', () => {
    const [p] = problemsOf(policy('  - {id: a, when: "true", decision: allow, approvers: {groups: [x]}}\n'));
    assert.match(p.message, /only applies to decision require_approval/);
  });

  test('a test naming a rule that does not exist is an error', () => {
    const [p] = problemsOf(policy('  - id: a\n    when: "true"\n    decision: allow\n    tests:\n      - {input: {action: x}, expect: {outcome: allow, rule: nope}}\n'));
    assert.deepEqual([p.line, p.ruleId], [8, 'a']);
  });

  test('an empty file says how to start', () => {
    const [p] = problemsOf('');
    assert.match(p.message, /empty/);
  });
});
