import type { PolicyDecision } from '../domain';

/** One reason a submission does not meet its rule's requirements; `field` is the submission field to fix. */
export interface SubmissionProblem {
  field: string;
  ruleId: string | null;
  message: string;
}

/** Params are carried in workflow history and the audit trail; a rule may allow more, but none allows unbounded. */
export const DEFAULT_MAX_PARAMS_BYTES = 64 * 1024;

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
  const bytes = Buffer.byteLength(JSON.stringify(input.params ?? {}), 'utf8');
  const limit = decision.maxParamsBytes ?? DEFAULT_MAX_PARAMS_BYTES;
  if (bytes > limit) {
    const allows =
      decision.maxParamsBytes !== null
        ? `${rule} allows at most ${limit} (max_params_bytes)`
        : decision.ruleId === null
          ? `the default allows at most ${limit} bytes (64 KiB)`
          : `${rule} sets no max_params_bytes, so the default of ${limit} bytes (64 KiB) applies`;
    problems.push({ field: 'params', ruleId: decision.ruleId, message: `params are ${bytes} bytes as JSON; ${allows}: send less or move data behind a reference` });
  }
  return problems;
}
