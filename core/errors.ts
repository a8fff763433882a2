/** The contract's error codes: snake_case, stable. api/errors.ts maps each to its HTTP status in one table. */
export const ErrorCode = {
  /** A request that does not match its schema (wrong type, unknown field, unstorable character, a date it cannot read). */
  invalidRequest: 'invalid_request',
  /** A body that is not JSON, is empty, or carries a prototype-poisoning key. */
  malformedJson: 'malformed_json',
  /** No bearer token, or one that is unknown, revoked or whose principal is gone. */
  unauthorized: 'unauthorized',
  /** The caller may not do this (read an action it is not party to, read the whole trail without being an auditor). */
  forbidden: 'forbidden',
  /** A vote by someone who is not among the action's approvers. */
  notAnApprover: 'not_an_approver',
  /** A vote by the action's requester. */
  selfApproval: 'self_approval',
  /** A vote by the principal the action acts for. */
  onBehalfOfApproval: 'on_behalf_of_approval',
  /** An approval on a `step_up` rule without a recent enough IdP sign-in; sign in again (the console asks) and vote there. */
  stepUpRequired: 'step_up_required',
  /** A vote by a service principal: services never approve. */
  serviceCannotApprove: 'service_cannot_approve',
  /** A cancel or result from someone who is neither the requester nor an admin. */
  notAllowed: 'not_allowed',
  /** An id that names no action (or token). A known action the caller may not read is `forbidden`. */
  notFound: 'not_found',
  /** A request that conflicts with the action's current state, without a more precise code. */
  conflict: 'conflict',
  /** A second vote by the same principal. */
  alreadyVoted: 'already_voted',
  /** A vote, cancel or result on an action that no longer takes it (terminal, or past its stage). */
  actionClosed: 'action_closed',
  /** A vote from a group already counted when the rule wants distinct groups. */
  groupAlreadyCounted: 'group_already_counted',
  /** A result reported for an action that is not approved in gate mode. */
  notAwaitingResult: 'not_awaiting_result',
  /** A grant that is not one Interlock signed for this action as it stands: forged, altered, another algorithm, unknown key. */
  grantInvalid: 'grant_invalid',
  /** A grant redeemed after its window closed. */
  grantExpired: 'grant_expired',
  /** A grant redeemed with params other than those approved (the hash differs from its `ph`). */
  grantParamsMismatch: 'grant_params_mismatch',
  /** A grant redeemed a second time (or after a result was reported). */
  grantUsed: 'grant_used',
  /** Valid JSON with an invalid meaning (params over the limit, a missing justification, an output too large). */
  unprocessable: 'unprocessable',
  /** A submission's `onBehalfOf` names no principal in principals.yaml. */
  unknownPrincipal: 'unknown_principal',
  /** An Idempotency-Key reused with a different body. */
  idempotencyKeyReused: 'idempotency_key_reused',
  /** The http executor will not call this URL (non-public address, userinfo, not http/https). */
  targetNotAllowed: 'target_not_allowed',
  /** A submission carries a credential (e.g. an Authorization header) that belongs in server configuration. */
  credentialInRequest: 'credential_in_request',
  /** A body over the server's limit. */
  bodyTooLarge: 'body_too_large',
  /** A body that is not application/json. */
  unsupportedMediaType: 'unsupported_media_type',
  /** Over a per-principal, per-address or start limit. */
  rateLimited: 'rate_limited',
  /** Temporal, the database or the action's workflow cannot serve right now; retrying later is right. */
  unavailable: 'unavailable',
  /** Anything unforeseen; the request may not have been applied. */
  internal: 'internal_error',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ErrorDetail {
  field?: string;
  message: string;
  [k: string]: unknown;
}

/**
 * What every door (API, Slack, later Teams, the console, the MCP gateway) reads when a use case refuses: a typed
 * code from the contract, a sentence for a person, and details naming the fields. Doors map the code, never the text.
 */
export class InterlockError extends Error {
  override readonly name = 'InterlockError';
  constructor(readonly code: ErrorCode, message: string, readonly details: ErrorDetail[] = []) {
    super(message);
  }
}

export const notFound = (what: string) => new InterlockError(ErrorCode.notFound, `${what} was not found`);
