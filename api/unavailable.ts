import { isGrpcServiceError } from '@temporalio/client';

/** gRPC codes a Temporal call fails with while the service is down or overloaded: UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED. */
const TEMPORAL_DOWN = new Set([14, 4, 8]);
/** SQLSTATE classes of a database that cannot serve now: connection exception, insufficient resources, operator intervention. */
const DATABASE_DOWN = /^(08|53|57P)/;
const NETWORK_DOWN = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);
// node-postgres reports a dropped or unobtainable connection with these messages and no code.
const POOL_DOWN = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i;

/**
 * Which dependency an unexpected error says is unavailable (Temporal or the database), or null. The caller
 * did nothing wrong then: 503 with Retry-After, not 500. Walks `cause`, since drizzle and the Temporal client wrap.
 */
export function unavailableDependency(err: unknown): 'Temporal' | 'the database' | null {
  let e = err as { cause?: unknown; code?: unknown; message?: unknown; name?: unknown } | undefined;
  for (let depth = 0; e && depth < 6; depth++, e = e.cause as typeof e) {
    if (isGrpcServiceError(e)) return TEMPORAL_DOWN.has(e.code) ? 'Temporal' : null;
    if (typeof e.code === 'string' && (DATABASE_DOWN.test(e.code) || NETWORK_DOWN.has(e.code))) return 'the database';
    if (typeof e.message === 'string' && POOL_DOWN.test(e.message)) return 'the database';
  }
  return null;
}
