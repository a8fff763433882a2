import { Type } from 'typebox';
import { ErrorCode, InterlockError, type ErrorDetail } from '../core/errors';

export { ErrorCode, type ErrorDetail } from '../core/errors';

/**
 * The HTTP status of every code: the one place the API maps the core's errors. `Record` makes a new code in
 * core/errors.ts a compile error here until it has a status.
 */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  [ErrorCode.invalidRequest]: 400,
  [ErrorCode.malformedJson]: 400,
  [ErrorCode.unauthorized]: 401,
  [ErrorCode.forbidden]: 403,
  [ErrorCode.notAnApprover]: 403,
  [ErrorCode.selfApproval]: 403,
  [ErrorCode.onBehalfOfApproval]: 403,
  [ErrorCode.stepUpRequired]: 403,
  [ErrorCode.serviceCannotApprove]: 403,
  [ErrorCode.notAllowed]: 403,
  [ErrorCode.notFound]: 404,
  [ErrorCode.conflict]: 409,
  [ErrorCode.alreadyVoted]: 409,
  [ErrorCode.actionClosed]: 409,
  [ErrorCode.groupAlreadyCounted]: 409,
  [ErrorCode.notAwaitingResult]: 409,
  [ErrorCode.grantInvalid]: 401,
  [ErrorCode.grantExpired]: 409,
  [ErrorCode.grantParamsMismatch]: 409,
  [ErrorCode.grantUsed]: 409,
  [ErrorCode.bodyTooLarge]: 413,
  [ErrorCode.unsupportedMediaType]: 415,
  [ErrorCode.unprocessable]: 422,
  [ErrorCode.unknownPrincipal]: 422,
  [ErrorCode.idempotencyKeyReused]: 422,
  [ErrorCode.targetNotAllowed]: 422,
  [ErrorCode.credentialInRequest]: 422,
  [ErrorCode.rateLimited]: 429,
  [ErrorCode.internal]: 500,
  [ErrorCode.unavailable]: 503,
};

/**
 * An error of the HTTP layer itself (a token, a limit, a parser), with its status given where it is thrown; the
 * core's errors go through HTTP_STATUS instead.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(readonly status: number, readonly code: string, message: string, readonly details: ErrorDetail[] = []) {
    super(message);
  }
  body() {
    return errorBody(this);
  }
}

/** The core's error as the API answers it. */
export function fromCore(err: InterlockError): ApiError {
  return new ApiError(HTTP_STATUS[err.code], err.code, err.message, err.details);
}

/** The contract's error body: `{"error": {"code", "message", "details"}}`. */
export function errorBody(err: { code: string; message: string; details: ErrorDetail[] }) {
  return { error: { code: err.code, message: err.message, details: err.details } };
}

export const forbidden = (message: string) => fromCore(new InterlockError(ErrorCode.forbidden, message));

export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'snake_case, stable' }),
      message: Type.String({ description: 'for a person' }),
      details: Type.Array(Type.Unknown()),
    }),
  },
  { $id: 'Error', description: 'Every error has this shape; a rejected request changed nothing.' },
);

/** The error responses a route documents, besides its own successes. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries([...new Set(statuses)].sort().map((s) => [s, ErrorSchema]));
}

/**
 * What any route behind a token can answer besides its own statuses: a malformed query or path (400), no or a
 * bad token (401), the caller's rate limit (429), Temporal or the database unavailable (503).
 */
export function authenticatedErrors(...statuses: number[]) {
  return errorResponses(400, 401, 429, 503, ...statuses);
}

/** Routes that read a JSON body also answer a body over the limit (413) and a body that is not JSON (415). */
export function bodyErrors(...statuses: number[]) {
  return authenticatedErrors(413, 415, ...statuses);
}

/** Open routes (health, metrics) can still be rate limited per address. */
export const publicErrors = () => errorResponses(429);
