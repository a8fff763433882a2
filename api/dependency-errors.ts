import { isGrpcServiceError, ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApiError, ErrorCode } from './errors';

/** Seconds a caller is asked to wait before retrying a request that met an unavailable dependency. */
export const RETRY_AFTER_SECONDS = 2;

// gRPC statuses that mean "Temporal cannot serve this now", not "the request is wrong".
const TRANSIENT_GRPC = new Set([1 /* CANCELLED */, 4 /* DEADLINE_EXCEEDED */, 8 /* RESOURCE_EXHAUSTED */, 10 /* ABORTED */, 13 /* INTERNAL */, 14 /* UNAVAILABLE */]);
// Postgres connection-level failures (class 08, admin shutdown, cannot connect now, too many connections) and socket errors.
const TRANSIENT_DB = /^(08...|57P01|57P02|57P03|53300|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND)$/;

export const unavailable = (why: string) =>
  new ApiError(503, ErrorCode.unavailable, `${why}; retry in ${RETRY_AFTER_SECONDS} s (a vote or cancel retried this way is counted once)`);

/**
 * The 503 for an error that means a dependency (Temporal, the database) cannot serve right now, or null when the
 * error is something else. drizzle and the Temporal client wrap the driver's error, so causes are followed.
 */
export function dependencyUnavailable(err: unknown): ApiError | null {
  for (let e = err as { cause?: unknown; code?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return unavailable('the action\'s workflow did not take the request in time (is a worker running?)');
    if (isGrpcServiceError(e) && TRANSIENT_GRPC.has(e.code)) return unavailable('Temporal is unavailable right now');
    if (e instanceof ServiceError && /unavailable|deadline|connect/i.test(e.message)) return unavailable('Temporal is unavailable right now');
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_DB.test(code)) return unavailable('the database is unavailable right now');
  }
  return null;
}
