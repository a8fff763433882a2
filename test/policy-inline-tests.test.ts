import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { compilePolicy, runPolicyTests } from '../policy/index';

const fixture = (name: string) => compilePolicy(readFileSync(new URL(`./fixtures/policy/${name}`, import.meta.url), 'utf8'));

describe('runPolicyTests', () => {
  test('every inline test of the example policy passes', () => {
    const report = runPolicyTests(fixture('valid.yaml'));
    assert.deepEqual([report.passed, report.failed], [4, 0]);
    assert.ok(report.results.every((r) => r.ok && r.diff === ''));
    assert.deepEqual(report.results.map((r) => [r.ruleId, r.index, r.line]), [
      ['read-only', 0, 11],
      ['read-only', 1, 12],
      ['prod-data-export', 0, 27],
      ['prod-data-export', 1, 28],
    ]);
  });

  test('a failing test says what was expected and what happened instead', () => {
    const report = runPolicyTests(fixture('failing-tests.yaml'));
    assert.deepEqual([report.passed, report.failed], [1, 2]);
    const [shadowed, wrongApprovers] = report.results.filter((r) => !r.ok);
    assert.equal(shadowed.diff, 'expected require_approval (rule prod-data-export), got allow (rule read-only)');
    assert.deepEqual(shadowed.actual, { outcome: 'allow', rule: 'read-only', quorum: 0, approvers: { groups: [], principals: [] } });
    assert.equal(shadowed.line, 17);
    assert.equal(
      wrongApprovers.diff,
      'expected quorum 1, got 2; expected approvers groups [dba] principals [], got groups [data-owners] principals []',
    );
  });

  test('input fields default: empty strings and maps, requester test/human with no groups', () => {
    const p = compilePolicy(`version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - id: defaults
    when: 'resource == "" && environment == "" && size(params) == 0 && requester.id == "test" && requester.kind == "human" && size(requester.groups) == 0 && onBehalfOf == null'
    decision: allow
    tests:
      - {input: {action: anything}, expect: {outcome: allow, rule: defaults}}
`);
    assert.deepEqual(runPolicyTests(p).failed, 0);
  });
});
