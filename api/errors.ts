import { Type } from 'typebox';

/** The contract's error codes by HTTP status. */
export const ErrorCode = {
  invalidRequest: 'invalid_request',
  malformedJson: 'malformed_json',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  notFound: 'not_found',
  conflict: 'conflict',
  unprocessable: 'unprocessable',
  unknownPrincipal: 'unknown_principal',
  idempotencyKeyReused: 'idempotency_key_reused',
  /** The http executor will not call this URL (non-public address, userinfo, not http/https). */
  targetNotAllowed: 'target_not_allowed',
  /** A submission carries a credential (e.g. an Authorization header) that belongs in server configuration. */
  credentialInRequest: 'credential_in_request',
  bodyTooLarge: 'body_too_large',
  unsupportedMediaType: 'unsupported_media_type',
  rateLimited: 'rate_limited',
  unavailable: 'unavailable',
  internal: 'internal_error',
} as const;

export interface ErrorDetail {
  field?: string;
  message: string;
  [k: string]: unknown;
}

/** An error a caller should see as it is: status, a snake_case code, a sentence for a person, details. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(readonly status: number, readonly code: string, message: string, readonly details: ErrorDetail[] = []) {
    super(message);
  }
  body() {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export const notFound = (what: string) => new ApiError(404, ErrorCode.notFound, `${what} was not found`);
export const forbidden = (message: string, code: string = ErrorCode.forbidden) => new ApiError(403, code, message);
export const conflict = (message: string, code: string = ErrorCode.conflict) => new ApiError(409, code, message);

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
