import type { Submission } from '../../domain/action';
import type { PrincipalDirectory } from '../../identity';
import type { ActionWorkflowInput } from '../../workflows/messages';
import { onBehalfOfId } from './on-behalf-of';

/** A validated body with every optional field given its default, as the workflow and the policy see it. */
export function normaliseSubmission(body: Submission, principals: PrincipalDirectory): ActionWorkflowInput['submission'] {
  return {
    action: body.action,
    resource: body.resource,
    environment: body.environment ?? 'default',
    params: body.params ?? {},
    context: body.context ?? {},
    justification: body.justification?.trim() || null,
    onBehalfOf: onBehalfOfId(principals, body.onBehalfOf),
    execute: body.execute ?? { type: 'none' },
    breakGlass: body.breakGlass ?? false,
  };
}
