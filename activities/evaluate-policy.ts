import type { PolicyDecision } from '../domain/decision';
import type { PolicyInput } from '../policy';
import type { ActionWorkflowInput } from '../workflows/messages';

/** The part of `policy/` the activity needs: the version in force right now. */
export interface PolicySource {
  current(): { evaluate(input: PolicyInput): PolicyDecision };
}

export function policyInputFor(input: Pick<ActionWorkflowInput, 'submission' | 'requester' | 'submittedAt' | 'executeTarget'>): PolicyInput {
  const s = input.submission;
  return {
    action: s.action,
    resource: s.resource,
    environment: s.environment,
    params: s.params,
    context: s.context,
    requester: { id: input.requester.id, kind: input.requester.kind, groups: input.requester.groups },
    onBehalfOf: s.onBehalfOf,
    justification: s.justification,
    breakGlass: s.breakGlass,
    execute: { type: s.execute.type, target: input.executeTarget?.target ?? null },
    now: new Date(input.submittedAt),
  };
}

/** Decides with the policy version in force when the activity runs; the decision names that version. */
export function createEvaluatePolicy(policy: PolicySource) {
  return async function evaluatePolicy(input: Pick<ActionWorkflowInput, 'id' | 'submission' | 'requester' | 'submittedAt' | 'executeTarget'>): Promise<PolicyDecision> {
    return policy.current().evaluate(policyInputFor(input));
  };
}
