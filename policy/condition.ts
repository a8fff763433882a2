import { CEL_VARIABLES, policyEnvironment } from './cel-environment';
import { actionGuard, type ActionGuard } from './action-index';
import { collectNames, noNames, type PolicyNames } from './named-values';
import type { RuleDefinition } from './types';
import type { ProblemList } from './problem-list';

/** A rule's `when`, parsed and type-checked once per policy version. */
export interface Condition {
  test: (activation: object) => unknown;
  /** Must hold for the condition to be true; null = no such test. Lets evaluation skip rules without running CEL. */
  guard: ActionGuard | null;
  /** The action and environment values the condition names, for bounded metric labels. */
  names: PolicyNames;
}

interface CelError {
  summary?: string;
  message: string;
  range?: { start: number; end: number };
}

const NEVER: Condition = { test: () => false, guard: () => false, names: noNames() };

/** Compiles `rule.when`; on a syntax or type error records a problem at the right line and returns a never-matching condition. */
export function compileCondition(rule: RuleDefinition, index: number, problems: ProblemList): Condition {
  const report = (err: CelError, what: string) => {
    const offset = err.range?.start ?? 0;
    const lines = rule.when.slice(0, offset).split('\n').length - 1;
    problems.items.push({
      line: rule.whenLine === null ? null : rule.whenLine + lines,
      ruleId: rule.id,
      path: `rules[${index}].when`,
      message: `${what}: ${summary(err)} (in \`${rule.when.trim().replace(/\s+/g, ' ')}\` at character ${offset + 1})`,
    });
  };
  let parsed;
  try {
    parsed = policyEnvironment().parse(rule.when);
  } catch (err) {
    report(err as CelError, 'CEL syntax error');
    return NEVER;
  }
  const checked = parsed.check();
  if (!checked.valid) {
    report(checked.error as CelError, 'CEL type error');
    return NEVER;
  }
  if (checked.type !== 'bool' && checked.type !== 'dyn') {
    report({ message: `the condition yields ${checked.type}, not bool; write a comparison such as action == "db.export"` }, 'CEL type error');
    return NEVER;
  }
  const names = noNames();
  collectNames(parsed.ast, names);
  return { test: parsed, guard: actionGuard(parsed.ast), names };
}

function summary(err: CelError): string {
  const text = err.summary ?? err.message.split('\n')[0];
  if (/Unknown variable/i.test(text)) return `${text}; the variables are ${Object.keys(CEL_VARIABLES).join(', ')}`;
  return text;
}

/** The one-line text of a CEL runtime error, for reasons and logs. */
export function celErrorText(err: unknown): string {
  if (err && typeof err === 'object' && 'message' in err) return summary(err as CelError);
  return String(err);
}
