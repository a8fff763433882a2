// What is wrong with a policy file: the problems, how they are collected with their lines, and the error that carries them.
import type { LineCounter, Node } from 'yaml';

/** One thing wrong with a policy file, located as precisely as the file allows. */
export interface PolicyProblem {
  /** 1-based line in the policy file; null when the problem has no place (e.g. the file is missing). */
  line: number | null;
  /** The rule the problem belongs to; null for top-level problems. */
  ruleId: string | null;
  /** Where in the document, e.g. `rules[2].approvers.quorum`. */
  path: string;
  message: string;
}

/** Renders a problem the way editors and CI logs link it: `policy.yaml:12 rule "x": message`. */
export function formatProblem(source: string, p: PolicyProblem): string {
  const where = p.line === null ? source : `${source}:${p.line}`;
  const rule = p.ruleId === null ? '' : ` rule "${p.ruleId}"`;
  // Inside a rule the rule id already says where; the `rules[3].` prefix would only add noise.
  const path = p.ruleId === null ? p.path : p.path.replace(/^rules\[\d+\]\.?/, '');
  return `${where}${rule}: ${path ? path + ': ' : ''}${p.message}`;
}

/**
 * Thrown by `compilePolicy` (and `PolicyStore.load`) when a policy file cannot be used.
 * Carries every problem found, not just the first, so an author fixes them in one pass.
 */
export class PolicyError extends Error {
  override readonly name = 'PolicyError' as const;
  readonly problems: readonly PolicyProblem[];
  readonly source: string;

  constructor(source: string, problems: PolicyProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`${source} has ${count}:\n${problems.map((p) => '  ' + formatProblem(source, p)).join('\n')}`);
    this.source = source;
    this.problems = Object.freeze(problems.slice());
  }
}

/** Collects problems with their line, so validation carries on and reports everything in one pass. */
export class ProblemList {
  readonly items: PolicyProblem[] = [];
  constructor(private readonly lines: LineCounter) {}

  lineOf(node: unknown): number | null {
    const range = (node as Node | null | undefined)?.range;
    return range ? this.lines.linePos(range[0]).line : null;
  }

  add(node: unknown, path: string, message: string, ruleId: string | null = null): void {
    this.items.push({ line: this.lineOf(node), ruleId, path, message });
  }
}

/** The allowed key within two edits of a typo, for a "did you mean" hint. */
export function closest(key: string, allowed: readonly string[]): string | undefined {
  const distance = (a: string, b: string) => {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const next = [i];
      for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      row = next;
    }
    return row[b.length];
  };
  const best = allowed.map((k) => ({ k, d: distance(key.toLowerCase(), k) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= 2 ? best.k : undefined;
}
