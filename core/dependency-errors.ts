import { isGrpcServiceError, ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ErrorCode, InterlockError } from './errors';

/** Seconds a caller is asked to wait before retrying a request that met an unavailable dependency. */
export const RETRY_AFTER_SECONDS = 2;

// gRPC statuses that mean "Temporal cannot serve this now", not "the request is wrong".
const TEMPORAL_DOWN = new Set([1 /* CANCELLED */, 4 /* DEADLINE_EXCEEDED */, 8 /* RESOURCE_EXHAUSTED */, 10 /* ABORTED */, 13 /* INTERNAL */, 14 /* UNAVAILABLE */]);
/** SQLSTATE classes of a database that cannot serve now: connection exception, insufficient resources, operator intervention. */
const DATABASE_DOWN = /^(08|53|57P)/;
const NETWORK_DOWN = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND']);
// node-postgres reports a dropped or unobtainable connection with these messages and no code.
const POOL_DOWN = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i;

/** Temporal's answer to a start whose search attributes the namespace does not have (`interlock temporal setup` was not run). */
const MISSING_SEARCH_ATTRIBUTE = /no mapping defined for search attribute|search attribute \S+ is not defined/i;

/** 503 naming what Temporal lacks and the command that fixes it: an operator's step, not the caller's mistake. */
function missingSearchAttributes(details: string): InterlockError {
  return new InterlockError(ErrorCode.unavailable, `Temporal cannot start the action's workflow: ${details}; an operator registers Interlock's search attributes with \`npx interlock temporal setup\``, [{ field: 'temporal', message: details }]);
}

export const unavailable = (why: string) =>
  new InterlockError(ErrorCode.unavailable, `${why}; retry in ${RETRY_AFTER_SECONDS} s (a vote or cancel retried this way is counted once; a submission with the same Idempotency-Key is one action)`);

/**
 * The `unavailable` error (503) for an error that means a dependency (Temporal, the database) cannot serve right now, or null when the
 * error is something else: the caller did nothing wrong. drizzle and the Temporal client wrap the driver's error,
 * so causes are followed.
 */
export function dependencyUnavailable(err: unknown): InterlockError | null {
  let e = err as { cause?: unknown; code?: unknown; message?: unknown } | undefined;
  for (let depth = 0; e && depth < 6; depth++, e = e.cause as typeof e) {
    if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return unavailable('the action\'s workflow did not take the request in time (is a worker running?)');
    // Update-with-Start reports it as an Error whose message is the server's, over an INVALID_ARGUMENT cause.
    if (typeof e.message === 'string' && MISSING_SEARCH_ATTRIBUTE.test(e.message)) return missingSearchAttributes(e.message.replace(/^\d+ [A-Z_]+: /, ''));
    if (isGrpcServiceError(e)) return TEMPORAL_DOWN.has(e.code) ? unavailable('Temporal is unavailable right now') : null;
    if (e instanceof ServiceError && /unavailable|deadline|connect/i.test(e.message)) return unavailable('Temporal is unavailable right now');
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (DATABASE_DOWN.test(code) || NETWORK_DOWN.has(code))) return unavailable('the database is unavailable right now');
    if (typeof e.message === 'string' && POOL_DOWN.test(e.message)) return unavailable('the database is unavailable right now');
  }
  return null;
}
