import type { PolicyDecision } from '../domain';

/** One reason a submission does not meet its rule's requirements; `field` is the submission field to fix. */
export interface SubmissionProblem {
  field: string;
  ruleId: string | null;
  message: string;
}

/**
 * Checks what a rule demands of the submission itself (justification, size of params).
 * Returns [] when it complies; the API answers 422 with these as details otherwise.
 */
export function validateSubmission(decision: PolicyDecision, input: { justification?: string | null; params?: Record<string, unknown> | null }): SubmissionProblem[] {
  const problems: SubmissionProblem[] = [];
  const rule = decision.ruleId === null ? 'the policy default' : `rule "${decision.ruleId}"`;
  if (decision.requireJustification && !input.justification?.trim()) {
    problems.push({ field: 'justification', ruleId: decision.ruleId, message: `${rule} requires a justification; say why this action is needed in "justification"` });
  }
  if (decision.maxParamsBytes !== null) {
    const bytes = Buffer.byteLength(JSON.stringify(input.params ?? {}), 'utf8');
    if (bytes > decision.maxParamsBytes) {
      problems.push({ field: 'params', ruleId: decision.ruleId, message: `params are ${bytes} bytes as JSON; ${rule} allows at most ${decision.maxParamsBytes} (max_params_bytes): send less or move data behind a reference` });
    }
  }
  return problems;
}
