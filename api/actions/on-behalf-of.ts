import { canonicalIdentity } from '../../domain/identity';
import type { PrincipalDirectory } from '../../identity';
import type { SubmissionProblem } from '../../policy';
import { ErrorCode } from '../errors';

/** A submission's `onBehalfOf` that names nobody Interlock knows; the API refuses it with 422 `unknown_principal`. */
export interface UnknownOnBehalfOf extends SubmissionProblem {
  code: typeof ErrorCode.unknownPrincipal;
}

/**
 * The canonical id of the principal a submission acts for, however it was spelled (id, e-mail or Slack id);
 * null when it acts for nobody. An unknown identity keeps its canonical spelling, for a dry run to evaluate.
 */
export function onBehalfOfId(principals: PrincipalDirectory, onBehalfOf: string | null | undefined): string | null {
  if (onBehalfOf == null) return null;
  return principals.resolve(onBehalfOf)?.id ?? canonicalIdentity(onBehalfOf);
}

/** The problem with `onBehalfOf` when no principal in principals.yaml has that identity, else null. */
export function unknownOnBehalfOf(principals: PrincipalDirectory, onBehalfOf: string | null | undefined): UnknownOnBehalfOf | null {
  if (onBehalfOf == null || principals.resolve(onBehalfOf)) return null;
  return {
    field: 'onBehalfOf',
    ruleId: null,
    code: ErrorCode.unknownPrincipal,
    message: `onBehalfOf ${JSON.stringify(onBehalfOf)} is not a known principal: it must be the id of a principal in principals.yaml, its email or its Slack id`,
  };
}
