import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { Execute, Submission } from '../domain/action';
import { canonicalIdentity } from '../domain/identity';
import { redactSecretParams } from '../domain/secret-params';
import type { PrincipalDirectory } from '../identity';
import type { SubmissionProblem } from '../policy';
import { executorFor } from '../executors';
import type { ActionWorkflowInput } from '../workflows/messages';
import { ErrorCode, InterlockError } from './errors';

/** A problem that refuses a submission with its own code (422), naming the field. */
export interface CodedProblem extends SubmissionProblem {
  code: ErrorCode;
}

/**
 * A validated body with every optional field given its default, as the workflow and the policy see it.
 * Secret-looking params and context keys are redacted here, at the edge, so no workflow history, audit event,
 * projection, message or response ever holds them; policy conditions therefore see `[redacted]` for them too (a rule cannot test a
 * password's value, which it never should). The Idempotency-Key hash is taken over the raw body, not this.
 */
export function normaliseSubmission(body: Submission, principals: PrincipalDirectory): ActionWorkflowInput['submission'] {
  const execute: Execute = body.execute ?? { type: 'none' };
  return {
    action: body.action,
    resource: body.resource,
    environment: body.environment ?? 'default',
    params: redactSecretParams(body.params ?? {}),
    context: redactSecretParams(body.context ?? {}),
    justification: body.justification?.trim() || null,
    onBehalfOf: onBehalfOfId(principals, body.onBehalfOf),
    execute: executorFor(execute.type).normalise(execute as never) as Execute,
    breakGlass: body.breakGlass ?? false,
  };
}

/**
 * `sha256:` hex of the RFC 8785 canonical `execute` object, so what approvers approve is bound to the exact request.
 * None for `none`: a gate-mode action sends nothing, so there is no request to bind. Computed here: workflow code
 * has no node crypto.
 */
export function executeHash(execute: Execute): string | undefined {
  if (execute.type === 'none') return undefined;
  return `sha256:${createHash('sha256').update(canonicalize(execute) ?? '').digest('hex')}`;
}

/** The 422 for problems with their own codes; the code is the first problem's (a refused target before a header). */
export function codedRefusal(problems: CodedProblem[]): InterlockError {
  return new InterlockError(problems[0].code, problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems.map(({ field, message }) => ({ field, message })));
}

/**
 * The canonical id of the principal a submission acts for, however it was spelled (id, e-mail or Slack id);
 * null when it acts for nobody. An unknown identity keeps its canonical spelling, for a dry run to evaluate.
 */
export function onBehalfOfId(principals: PrincipalDirectory, onBehalfOf: string | null | undefined): string | null {
  if (onBehalfOf == null) return null;
  return principals.resolve(onBehalfOf)?.id ?? canonicalIdentity(onBehalfOf);
}

/** The problem with `onBehalfOf` when it names nobody known (principals.yaml, or a people issuer's e-mail domains), else null. */
export function unknownOnBehalfOf(principals: PrincipalDirectory, onBehalfOf: string | null | undefined): CodedProblem | null {
  if (onBehalfOf == null || principals.isKnownPerson(onBehalfOf)) return null;
  return {
    field: 'onBehalfOf',
    ruleId: null,
    code: ErrorCode.unknownPrincipal,
    message: `onBehalfOf ${JSON.stringify(onBehalfOf)} is not a known principal: it must be the id of a principal in principals.yaml, its email or its Slack id, or an e-mail under a people issuer's email_domains`,
  };
}
