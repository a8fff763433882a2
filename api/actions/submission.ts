import type { Submission } from '../../domain/action';
import type { PrincipalDirectory } from '../../identity';
import { redactSecretParams } from '../../domain';
import type { ActionWorkflowInput } from '../../workflows/messages';
import { onBehalfOfId } from './on-behalf-of';

/**
 * A validated body with every optional field given its default, as the workflow and the policy see it.
 * Secret-looking params are redacted here, at the edge, so no workflow history, audit event, projection, message
 * or response ever holds them; policy conditions therefore see `[redacted]` for them too (a rule cannot test a
 * password's value, which it never should). The Idempotency-Key hash is taken over the raw body, not this.
 */
export function normaliseSubmission(body: Submission, principals: PrincipalDirectory): ActionWorkflowInput['submission'] {
  return {
    action: body.action,
    resource: body.resource,
    environment: body.environment ?? 'default',
    params: redactSecretParams(body.params ?? {}),
    context: body.context ?? {},
    justification: body.justification?.trim() || null,
    onBehalfOf: onBehalfOfId(principals, body.onBehalfOf),
    execute: body.execute ?? { type: 'none' },
    breakGlass: body.breakGlass ?? false,
  };
}
