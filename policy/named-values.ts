import type { ASTNode } from '@marcbachmann/cel-js';

/** The CEL variables whose values become metric labels. */
export type LabelVariable = 'action' | 'environment';

/** The values a policy names for one variable: literals it is compared with, and `startsWith` prefixes. */
export interface NamedValues {
  readonly exact: Set<string>;
  readonly prefixes: Set<string>;
}
export type PolicyNames = Record<LabelVariable, NamedValues>;

export const noNames = (): PolicyNames => ({ action: { exact: new Set(), prefixes: new Set() }, environment: { exact: new Set(), prefixes: new Set() } });

const variableOf = (n: ASTNode): LabelVariable | null => (n.op === 'id' && (n.args === 'action' || n.args === 'environment') ? n.args : null);
const stringValue = (n: ASTNode) => (n.op === 'value' && typeof n.args === 'string' ? n.args : null);

/**
 * Adds the values `ast` names anywhere in it (`==`, `!=`, `in [...]`, `startsWith`, under `||` and `!` too):
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
  if (node.op === 'rcall' && node.args[0] === 'startsWith' && node.args[2].length === 1) {
    const variable = variableOf(node.args[1]);
    const prefix = stringValue(node.args[2][0]);
    if (variable && prefix !== null) into[variable].prefixes.add(prefix);
  }
  const visit = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(visit);
    else if (x && typeof x === 'object' && 'op' in x) collectNames(x as ASTNode, into);
  };
  visit(node.args);
}

/**
 * The label for `value`: itself when the policy names it, `<prefix>*` for the longest named prefix it starts
 * with (the part after it is the caller's, so it never becomes a series), else `other`.
 */
export function labelOf(names: NamedValues, value: string): string {
  if (names.exact.has(value)) return value;
  let longest: string | null = null;
  for (const p of names.prefixes) if (value.startsWith(p) && (longest === null || p.length > longest.length)) longest = p;
  return longest === null ? 'other' : `${longest}*`;
}
