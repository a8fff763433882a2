import type { Document } from 'yaml';
import type { PolicyDefaults, PolicyDefinition, RuleDefinition } from './types';
import { readRule } from './rule-schema';
import type { ProblemList } from './problems';
import { MapReader } from './yaml-reader';

const TOP_KEYS = ['version', 'defaults', 'rules'] as const;

/** Validates the whole document against the policy schema; every problem lands in `problems`. */
export function readPolicy(doc: Document, problems: ProblemList): PolicyDefinition {
  const fallback: PolicyDefinition = { defaults: { decision: 'deny', timeoutSeconds: 3600, grantSeconds: null }, rules: [] };
  if (doc.contents === null) {
    problems.add(null, '', 'the file is empty; start it with version: 1, defaults and rules');
    return fallback;
  }
  const top = MapReader.of(problems, doc.contents, '', null, TOP_KEYS);
  if (!top) return fallback;

  // `version` may be left out (it is 1), as may `defaults` or either of its keys (deny, 1h): fail closed either way.
  if (top.has('version')) {
    const version = top.integer('version', 1);
    if (version !== undefined && version !== 1) top.report(top.raw('version'), 'version', `version ${version} is not supported; this Interlock reads version: 1`);
  }
  const defaults = readDefaults(top) ?? fallback.defaults;
  const rules: RuleDefinition[] = [];
  if (top.require('rules', 'the list of rules, first match wins')) {
    (top.list('rules') ?? []).forEach((node, i) => {
      const rule = readRule(problems, node, i, defaults.timeoutSeconds);
      if (rule) rules.push(rule);
    });
  }
  reportDuplicateIds(rules, problems);
  return { defaults, rules };
}

function readDefaults(top: MapReader): PolicyDefaults | undefined {
  if (!top.has('defaults')) return undefined;
  const r = top.map('defaults', ['decision', 'timeout', 'grant']);
  if (!r) return undefined;
  // require_approval as a default would need approvers; write a final `when: true` rule instead.
  const decision = r.has('decision') ? r.oneOf('decision', ['deny', 'allow'] as const) : undefined;
  const timeout = r.has('timeout') ? r.duration('timeout') : undefined;
  return { decision: decision ?? 'deny', timeoutSeconds: timeout ?? 3600, grantSeconds: r.duration('grant') ?? null };
}

function reportDuplicateIds(rules: RuleDefinition[], problems: ProblemList): void {
  const seen = new Map<string, RuleDefinition>();
  rules.forEach((rule, i) => {
    const first = seen.get(rule.id);
    if (!first) return void seen.set(rule.id, rule);
    problems.items.push({
      line: rule.line,
      ruleId: rule.id,
      path: `rules[${i}].id`,
      message: `duplicate rule id "${rule.id}" (first used at line ${first.line}); rule ids must be unique`,
    });
  });
}
