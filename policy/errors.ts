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
