import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, ErrorCode } from '../errors';

/** The unauthenticated requests one client address may make a minute (`INTERLOCK_RATE_LIMIT_ANON`). */
export interface AddressBudget {
  /** Spends one request of the address's budget; throws 429 once it is spent. */
  spend(req: FastifyRequest, reply: FastifyReply): Promise<void>;
}

/** Built on @fastify/rate-limit's store; IPv6 addresses count per /64, as one client usually holds a whole /64. */
export function createAddressBudget(app: FastifyInstance, perMinute: number): AddressBudget {
  // allowList undefined: the plugin's global allowList exempts requests without a principal, exactly these.
  const limiter = app.createRateLimit({ max: perMinute, timeWindow: 60_000, keyGenerator: (req) => `anon:${normalizeIP(req.ip)}`, allowList: undefined });
  const spend = async (req: FastifyRequest, reply: FastifyReply) => {
    const state = await limiter(req, { increment: true });
    if (state.isAllowed || !state.isExceeded) return;
    const retry = Math.max(1, state.ttlInSeconds);
    reply.header('retry-after', retry);
    throw new ApiError(429, ErrorCode.rateLimited, `more than ${perMinute} unauthenticated requests a minute from this address (INTERLOCK_RATE_LIMIT_ANON); retry in ${retry} s with a valid token`);
  };
  return { spend };
}
