import type { ASTNode } from '@marcbachmann/cel-js';

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
