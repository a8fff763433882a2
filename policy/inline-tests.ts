import type { ApproverSet, PolicyDecision } from '../domain';
import { sameApprovers } from './decisions';
import type { CompiledPolicy, PolicyInput, RuleTest, TestExpectation } from './types';

export interface PolicyTestResult {
  ruleId: string;
  index: number;
  line: number | null;
  ok: boolean;
  expected: TestExpectation;
  actual: { outcome: PolicyDecision['outcome']; rule: string | null; quorum: number; approvers: ApproverSet };
  /** Empty when ok; otherwise e.g. `expected require_approval (rule prod-data-export), got allow (rule read-only)`. */
  diff: string;
}

export interface PolicyTestReport {
  passed: number;
  failed: number;
  results: PolicyTestResult[];
}

/** Runs every rule's inline `tests` against the whole policy (first match wins, so earlier rules can shadow later ones). */
export function runPolicyTests(policy: CompiledPolicy): PolicyTestReport {
  const results: PolicyTestResult[] = [];
  for (const rule of policy.rules) {
    for (const t of rule.tests) {
      const d = policy.evaluate(testInput(t));
      const actual = { outcome: d.outcome, rule: d.ruleId, quorum: d.quorum, approvers: d.approvers };
      const diff = differences(t.expect, actual).join('; ');
      results.push({ ruleId: rule.id, index: t.index, line: t.line, ok: diff === '', expected: t.expect, actual, diff });
    }
  }
  const passed = results.filter((r) => r.ok).length;
  return { passed, failed: results.length - passed, results };
}

/** A test input with the documented defaults filled in. */
export function testInput(t: RuleTest): PolicyInput {
  const i = t.input;
  return {
    action: i.action ?? '',
    resource: i.resource ?? '',
    environment: i.environment ?? '',
    params: i.params ?? {},
    context: i.context ?? {},
    requester: { id: i.requester?.id ?? 'test', kind: i.requester?.kind ?? 'human', groups: i.requester?.groups ?? [] },
    onBehalfOf: i.onBehalfOf ?? null,
    justification: i.justification ?? null,
    breakGlass: i.breakGlass ?? false,
    execute: { type: i.execute?.type ?? 'none', target: i.execute?.target ?? null },
    now: i.now,
  };
}

const ruleName = (id: string | null) => (id === null ? 'default' : `rule ${id}`);
const approversText = (a: ApproverSet) => `groups [${a.groups.join(', ')}] principals [${a.principals.join(', ')}]`;
function differences(expect: TestExpectation, actual: PolicyTestResult['actual']): string[] {
  const out: string[] = [];
  const ruleChecked = expect.rule !== undefined;
  if (expect.outcome !== actual.outcome || (ruleChecked && expect.rule !== actual.rule)) {
    const wanted = ruleChecked ? `${expect.outcome} (${ruleName(expect.rule ?? null)})` : expect.outcome;
    out.push(`expected ${wanted}, got ${actual.outcome} (${ruleName(actual.rule)})`);
  }
  if (expect.quorum !== undefined && expect.quorum !== actual.quorum) out.push(`expected quorum ${expect.quorum}, got ${actual.quorum}`);
  const a = expect.approvers;
  if (a && !sameApprovers(a, actual.approvers)) {
    out.push(`expected approvers ${approversText(a)}, got ${approversText(actual.approvers)}`);
  }
  return out;
}
