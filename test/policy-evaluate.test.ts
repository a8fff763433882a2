import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generatePolicy } from '../bench/policy';
import { compilePolicy, type PolicyInput, validateSubmission } from '../policy/index';

const input = (over: Partial<PolicyInput> = {}): PolicyInput => ({
  action: 'db.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: {},
  context: {},
  requester: { id: 'svc:etl-bot', kind: 'service', groups: ['pipelines'] },
  onBehalfOf: null,
  ...over,
});

const policy = compilePolicy(`version: 1
defaults:
  decision: deny
  timeout: 1h
rules:
  - id: read-only
    when: action.startsWith("read.") && environment != "production"
    decision: allow
  - id: table-guard
    when: action == "db.export" && params.table == "secrets"
    decision: deny
  - id: prod-data-export
    when: action == "db.export" && environment == "production"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 2, distinct_groups: false}
    require_justification: true
    max_params_bytes: 64
    timeout: 30m
    escalation:
      - {after: 10m, groups: [security-oncall]}
    risk: high
    controls: ["SOC2:CC6.1"]
    slack_channel: "#prod-approvals"
    break_glass: {groups: [sre]}
  - id: any-export
    when: action == "db.export"
    decision: allow
`);

describe('evaluate', () => {
  test('the first matching rule wins, in file order', () => {
    const d = policy.evaluate(input({ params: { table: 'orders' } }));
    assert.deepEqual(d, {
      outcome: 'require_approval',
      ruleId: 'prod-data-export',
      policyVersion: policy.version,
      approvers: { groups: ['data-owners'], principals: [] },
      quorum: 2,
      distinctGroups: false,
      timeoutSeconds: 1800,
      escalation: [{ afterSeconds: 600, groups: ['security-oncall'], principals: [] }],
      risk: 'high',
      controls: ['SOC2:CC6.1'],
      notify: { slack: '#prod-approvals' },
      requireJustification: true,
      maxParamsBytes: 64,
      grantSeconds: null,
      breakGlassGroups: ['sre'],
      stepUpMaxAgeSeconds: null,
      reason: 'rule "prod-data-export" (policy.yaml:12) matched: require_approval',
    });
    assert.equal(policy.evaluate(input({ environment: 'staging', params: { table: 'orders' } })).ruleId, 'any-export');
  });

  test('allow has no approvers, quorum 0 and the default timeout', () => {
    const d = policy.evaluate(input({ action: 'read.rows', environment: 'dev' }));
    assert.deepEqual([d.outcome, d.ruleId, d.quorum, d.approvers, d.escalation, d.timeoutSeconds], ['allow', 'read-only', 0, { groups: [], principals: [] }, [], 3600]);
  });

  test('nothing matches: the default denies', () => {
    const d = policy.evaluate(input({ action: 'k8s.deploy' }));
    assert.deepEqual([d.outcome, d.ruleId, d.quorum, d.timeoutSeconds], ['deny', null, 0, 3600]);
    assert.match(d.reason, /no rule matched; the default is deny/);
  });

  test('a CEL runtime error fails closed, naming the rule, line and error', () => {
    const d = policy.evaluate(input()); // params has no "table": table-guard cannot be decided
    assert.equal(d.outcome, 'deny');
    assert.equal(d.ruleId, 'table-guard');
    assert.equal(d.quorum, 0);
    assert.match(d.reason, /rule "table-guard" \(policy\.yaml:10\) could not be evaluated: .*table.*; denied \(fail closed\)/);
  });

  test('an allow rule whose condition cannot be evaluated does not match: the next rule decides, never the error', () => {
    const p = compilePolicy(`version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - {id: small-reads, when: 'action == "t.cel" && params.n < 10', decision: allow}
  - {id: by-agent, when: 'action == "t.cel" && context.agent == "bot"', decision: require_approval, approvers: {groups: [g]}}
  - {id: guard, when: 'action == "t.guard" && params.amount > 1000', decision: deny}
  - {id: rest, when: 'true', decision: allow}
`);
    const d = p.evaluate(input({ action: 't.cel', context: { agent: 'bot' } })); // no params.n
    assert.deepEqual([d.outcome, d.ruleId], ['require_approval', 'by-agent']);
    assert.equal(p.evaluate(input({ action: 't.cel', params: { n: 3 } })).ruleId, 'small-reads');
    const { trace } = p.explain(input({ action: 't.cel', context: { agent: 'bot' } }));
    assert.match(trace[0].reason, /could not be evaluated .*an allow rule that cannot be evaluated does not match/);
    // A deny rule that cannot be evaluated still denies: skipping it would let `rest` allow what it guards.
    const g = p.evaluate(input({ action: 't.guard' }));
    assert.deepEqual([g.outcome, g.ruleId], ['deny', 'guard']);
    assert.match(g.reason, /could not be evaluated/);
    assert.deepEqual(p.evaluate(input({ action: 't.guard' })), p.explain(input({ action: 't.guard' })).decision);
  });

  test('decisions are copies: changing one does not change the policy', () => {
    const d = policy.evaluate(input({ params: { table: 'orders' } }));
    d.approvers.groups.push('everyone');
    d.escalation[0].groups.push('everyone');
    const again = policy.evaluate(input({ params: { table: 'orders' } }));
    assert.deepEqual(again.approvers.groups, ['data-owners']);
    assert.deepEqual(again.escalation[0].groups, ['security-oncall']);
  });

  test('now, onBehalfOf, justification and breakGlass are visible to conditions', () => {
    const p = compilePolicy(`version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - {id: night, when: 'now.getHours("UTC") < 6', decision: deny}
  - {id: delegated, when: 'onBehalfOf != null && onBehalfOf.endsWith("@example.com") && justification != ""', decision: allow}
  - {id: glass, when: breakGlass, decision: allow}
`);
    assert.equal(p.evaluate(input({ now: new Date('2026-01-05T03:00:00Z') })).ruleId, 'night');
    const day = new Date('2026-01-05T12:00:00Z');
    assert.equal(p.evaluate(input({ now: day, onBehalfOf: 'alice@example.com', justification: 'ticket 42' })).ruleId, 'delegated');
    assert.equal(p.evaluate(input({ now: day, onBehalfOf: 'alice@example.com' })).ruleId, null);
    assert.equal(p.evaluate(input({ now: day, breakGlass: true })).ruleId, 'glass');
  });

  test('skipping rules by their action test never changes a decision', () => {
    // explain() runs every condition without the action index; evaluate() uses it.
    const { text, inputs } = generatePolicy(100, 400);
    const p = compilePolicy(text);
    for (const i of inputs) assert.deepEqual(p.evaluate(i), p.explain(i).decision);
  });
});

describe('explain', () => {
  test('traces every rule up to the deciding one, saying why each did not match', () => {
    const { decision, trace } = policy.explain(input({ environment: 'staging', params: { table: 'orders' } }));
    assert.equal(decision.ruleId, 'any-export');
    assert.deepEqual(trace, [
      { ruleId: 'read-only', line: 6, matched: false, reason: 'condition was false' },
      { ruleId: 'table-guard', line: 9, matched: false, reason: 'condition was false' },
      { ruleId: 'prod-data-export', line: 12, matched: false, reason: 'condition was false' },
      { ruleId: 'any-export', line: 25, matched: true, reason: 'condition was true: allow' },
    ]);
    assert.deepEqual(JSON.parse(JSON.stringify({ decision, trace })), { decision, trace }, 'JSON-friendly');
  });

  test('a CEL error ends the trace with the fail-closed reason', () => {
    const { decision, trace } = policy.explain(input());
    assert.equal(decision.outcome, 'deny');
    assert.equal(trace.length, 2);
    assert.equal(trace[1].matched, false);
    assert.match(trace[1].reason, /could not be evaluated/);
  });

  test('a fall-through lists every rule as not matched', () => {
    const { decision, trace } = policy.explain(input({ action: 'k8s.deploy' }));
    assert.equal(decision.ruleId, null);
    assert.equal(trace.length, 4);
    assert.ok(trace.every((s) => !s.matched));
  });
});

describe('validateSubmission', () => {
  const decision = policy.evaluate(input({ params: { table: 'orders' } }));

  test('a complying submission has no problems', () => {
    assert.deepEqual(validateSubmission(decision, { justification: 'monthly reconciliation', params: { table: 'orders' } }), []);
  });

  test('a missing or blank justification is reported, naming the rule', () => {
    for (const justification of [undefined, null, '', '   ']) {
      const problems = validateSubmission(decision, { justification, params: {} });
      assert.equal(problems.length, 1);
      assert.deepEqual([problems[0].field, problems[0].ruleId], ['justification', 'prod-data-export']);
      assert.match(problems[0].message, /rule "prod-data-export" requires a justification/);
    }
  });

  test('params over max_params_bytes (UTF-8 JSON) are reported', () => {
    const params = { note: 'é'.repeat(30) }; // 30 characters, 60 bytes, 71 bytes as JSON
    const problems = validateSubmission(decision, { justification: 'why', params });
    assert.equal(problems.length, 1);
    assert.equal(problems[0].field, 'params');
    assert.match(problems[0].message, /params are 71 bytes as JSON; rule "prod-data-export" allows at most 64/);
  });
});

describe('the 64 KiB default for max_params_bytes', () => {
  const params = { blob: 'x'.repeat(64 * 1024) }; // 65,547 bytes as JSON: just over 64 KiB

  test('applies where the matching rule sets none, naming the rule, the size and the limit', () => {
    const decision = policy.evaluate(input({ action: 'read.table', environment: 'staging' }));
    assert.equal(decision.ruleId, 'read-only');
    const problems = validateSubmission(decision, { params });
    assert.equal(problems.length, 1);
    assert.deepEqual([problems[0].field, problems[0].ruleId], ['params', 'read-only']);
    assert.match(problems[0].message, /params are 65547 bytes as JSON; rule "read-only" sets no max_params_bytes, so the default of 65536 bytes \(64 KiB\) applies/);
  });

  test('applies when no rule matched, naming the default', () => {
    const decision = policy.evaluate(input({ action: 'k8s.deploy' }));
    assert.equal(decision.ruleId, null);
    const problems = validateSubmission(decision, { params });
    assert.deepEqual([problems[0]?.field, problems[0]?.ruleId], ['params', null]);
    assert.match(problems[0].message, /params are 65547 bytes as JSON; the default allows at most 65536 bytes \(64 KiB\)/);
  });

  test('params of exactly 64 KiB as JSON pass', () => {
    const decision = policy.evaluate(input({ action: 'read.table', environment: 'staging' }));
    const exact = { blob: 'x'.repeat(64 * 1024 - '{"blob":""}'.length) };
    assert.equal(Buffer.byteLength(JSON.stringify(exact)), 65536);
    assert.deepEqual(validateSubmission(decision, { params: exact }), []);
  });
});

describe('metric labels are the values the policy names', () => {
  const named = compilePolicy(`version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - id: reads
    when: action.startsWith("read.") && environment != "production"
    decision: allow
  - id: exports
    when: (action == "db.export" || action in ["db.copy", "db.dump"]) && environment in ["production", "staging"]
    decision: allow
  - id: mirrored
    when: '"iam.grant" == action && "dev" == environment'
    decision: allow
  - id: envs
    when: environment.startsWith("eu-")
    decision: allow
`);

  test('an action or environment the policy names is its own label; one that only matches a named prefix is "other"', () => {
    for (const a of ['db.export', 'db.copy', 'db.dump', 'iam.grant']) assert.equal(named.labelFor('action', a), a);
    assert.equal(named.labelFor('action', 'read.customers'), 'other');
    for (const e of ['production', 'staging', 'dev']) assert.equal(named.labelFor('environment', e), e);
    assert.equal(named.labelFor('environment', 'eu-west-1'), 'other');
  });

  test('anything else is "other", so callers cannot grow the series without bound', () => {
    for (const a of ['db.exports', 'read', 'x'.repeat(200), 'production']) assert.equal(named.labelFor('action', a), 'other');
    for (const e of ['prod', 'default', 'db.export', `env-${Math.random()}`]) assert.equal(named.labelFor('environment', e), 'other');
  });
});
