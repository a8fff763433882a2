import type { Submission } from '../../domain/action';
import type { ActionWorkflowInput } from '../../workflows/messages';

/** A validated body with every optional field given its default, as the workflow and the policy see it. */
export function normaliseSubmission(body: Submission): ActionWorkflowInput['submission'] {
  return {
    action: body.action,
    resource: body.resource,
    environment: body.environment ?? 'default',
    params: body.params ?? {},
    context: body.context ?? {},
    justification: body.justification?.trim() || null,
    onBehalfOf: body.onBehalfOf ?? null,
    execute: body.execute ?? { type: 'none' },
    breakGlass: body.breakGlass ?? false,
  };
}
