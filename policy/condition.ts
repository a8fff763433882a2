// A rule's `when`: the CEL environment it is checked in, its compilation, and what is read from its syntax tree
// (the action guard that lets evaluation skip it, the values it names for metric labels).
import { Environment, type ASTNode } from '@marcbachmann/cel-js';
import type { ProblemList } from './problems';
import type { RuleDefinition } from './types';

/** The variables a `when` condition may use, with their CEL types (cel-js names `timestamp` by its proto name). */
export const CEL_VARIABLES = {
  action: 'string',
  resource: 'string',
  environment: 'string',
  params: 'map',
  context: 'map',
  requester: 'map',
  onBehalfOf: 'dyn', // string or null
  now: 'google.protobuf.Timestamp',
  justification: 'string',
  breakGlass: 'bool',
  execute: 'map', // {type, target}: target is a name of targets.yaml or null
} as const;

export type CelVariable = keyof typeof CEL_VARIABLES;

let environment: Environment | undefined;

/** One shared environment: building one is costly, and it holds no per-policy state. */
export function policyEnvironment(): Environment {
  if (environment) return environment;
  const env = new Environment({ limits: { maxAstNodes: 5000, maxDepth: 100, maxListElements: 1000, maxMapEntries: 1000, maxCallArguments: 32 } });
  for (const [name, type] of Object.entries(CEL_VARIABLES)) env.registerVariable(name, type);
  environment = env;
  return env;
}

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

/** A cheap test on the action name alone that must hold for a condition to be true. */
export type ActionGuard = (action: string) => boolean;

/**
 * A guard read from the top-level `&&` conjuncts `action == "x"`, `"x" == action`, `action in ["x", "y"]` and
 * `action.startsWith("x.")`, or null when the condition has none. Skipping a rule whose guard fails is exact:
 * CEL's `&&` is false whenever any conjunct is false, even when another conjunct would raise an error
 * (cel-js implements this), so the skipped rule could neither match nor fail closed.
 */
export function actionGuard(ast: ASTNode): ActionGuard | null {
  const guards = conjuncts(ast).map(guardOf).filter((g): g is ActionGuard => g !== null);
  if (guards.length === 0) return null;
  if (guards.length === 1) return guards[0];
  return (action) => guards.every((g) => g(action));
}

function conjuncts(ast: ASTNode): ASTNode[] {
  return ast.op === '&&' ? [...conjuncts(ast.args[0]), ...conjuncts(ast.args[1])] : [ast];
}

const isAction = (n: ASTNode) => n.op === 'id' && n.args === 'action';
const stringValue = (n: ASTNode) => (n.op === 'value' && typeof n.args === 'string' ? n.args : null);

function guardOf(node: ASTNode): ActionGuard | null {
  if (node.op === '==') {
    const [a, b] = node.args;
    const literal = isAction(a) ? stringValue(b) : isAction(b) ? stringValue(a) : null;
    return literal === null ? null : (action) => action === literal;
  }
  if (node.op === 'in' && isAction(node.args[0]) && node.args[1].op === 'list') {
    const values = node.args[1].args.map(stringValue);
    if (!values.every((v) => v !== null)) return null;
    const names = new Set(values as string[]);
    return (action) => names.has(action);
  }
  if (node.op === 'rcall' && node.args[0] === 'startsWith' && isAction(node.args[1]) && node.args[2].length === 1) {
    const prefix = stringValue(node.args[2][0]);
    return prefix === null ? null : (action) => action.startsWith(prefix);
  }
  return null;
}

/** The CEL variables whose values become metric labels. */
export type LabelVariable = 'action' | 'environment';

/** The values a policy names for one variable: the literals it is compared with (`==`, `!=`, `in [...]`). */
export interface NamedValues {
  readonly exact: Set<string>;
}
export type PolicyNames = Record<LabelVariable, NamedValues>;

export function noNames(): PolicyNames {
  return { action: { exact: new Set() }, environment: { exact: new Set() } };
}

const variableOf = (n: ASTNode): LabelVariable | null => (n.op === 'id' && (n.args === 'action' || n.args === 'environment') ? n.args : null);

/**
 * Adds the values `ast` names anywhere in it (`==`, `!=`, `in [...]`, under `||` and `!` too; a `startsWith` prefix
 * names no value):
 * unlike the action guard this decides no match, it only says which values the policy's author wrote down.
 */
export function collectNames(node: ASTNode, into: PolicyNames): void {
  if (node.op === '==' || node.op === '!=') {
    const [a, b] = node.args;
    const variable = variableOf(a) ?? variableOf(b);
    const literal = variableOf(a) ? stringValue(b) : stringValue(a);
    if (variable && literal !== null) into[variable].exact.add(literal);
  }
  if (node.op === 'in' && node.args[1].op === 'list') {
    const variable = variableOf(node.args[0]);
    if (variable) for (const v of node.args[1].args.map(stringValue)) if (v !== null) into[variable].exact.add(v);
  }
  const visit = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(visit);
    else if (x && typeof x === 'object' && 'op' in x) collectNames(x as ASTNode, into);
  };
  visit(node.args);
}

/**
 * The label for `value`: itself when the policy names it (an equality or an `in` list), else `other`, as the
 * contract says. A value that only matches a named prefix (`read.` of `action.startsWith("read.")`) is `other` too:
 * the rest of it is the caller's, and a label made of it would let callers grow the series.
 */
export function labelOf(names: NamedValues, value: string): string {
  return names.exact.has(value) ? value : 'other';
}
