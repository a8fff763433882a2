import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config';
import { ApiError, ErrorCode } from '../errors';

/** Lets a submission through when its principal is within its start rate and in-flight bound; `release` when it is answered. */
export type SubmissionAdmission = (req: FastifyRequest, reply: FastifyReply) => Promise<{ release(): void }>;

/**
 * Per principal, so one principal's flood cannot take the workflow starts, the worker and the database from
 * everyone else: at most `INTERLOCK_START_LIMIT` submissions a minute (a 422 counts too: it cost an evaluation),
 * spread over the minute, and at most `INTERLOCK_SUBMIT_CONCURRENCY` in flight at once.
 */
export function createSubmissionAdmission(app: FastifyInstance, config: Pick<Config, 'startLimitPerMinute' | 'submitConcurrency'>): SubmissionAdmission {
  const starts = app.createRateLimit({ max: config.startLimitPerMinute, timeWindow: 60_000, keyGenerator: (req) => `start:${req.principal.id}`, allowList: undefined });
  // The minute's budget may not arrive at once: a burst of starts queues in front of everyone's votes in Temporal,
  // so at most a twelfth of it (and never fewer than 5, nor more than the minute allows) in any 5 seconds.
  const burst = Math.min(config.startLimitPerMinute, Math.max(5, Math.ceil(config.startLimitPerMinute / 12)));
  const bursts = app.createRateLimit({ max: burst, timeWindow: 5_000, keyGenerator: (req) => `burst:${req.principal.id}`, allowList: undefined });
  // Keys are principals from principals.yaml, and an entry is removed at zero: the map stays small.
  const inFlight = new Map<string, number>();
  const refuse = (reply: FastifyReply, retry: number, message: string) => {
    reply.header('retry-after', retry);
    return new ApiError(429, ErrorCode.rateLimited, `${message}; retry in ${retry} s`);
  };

  return async (req, reply) => {
    const id = req.principal.id;
    const running = inFlight.get(id) ?? 0;
    if (running >= config.submitConcurrency) throw refuse(reply, 1, `more than ${config.submitConcurrency} submissions in flight at once (INTERLOCK_SUBMIT_CONCURRENCY)`);
    // Taken before the first await, so concurrent requests cannot all pass the check above.
    inFlight.set(id, running + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const left = (inFlight.get(id) ?? 1) - 1;
      if (left > 0) inFlight.set(id, left);
      else inFlight.delete(id);
    };
    try {
      const state = await starts(req);
      if (!state.isAllowed && state.isExceeded) throw refuse(reply, Math.max(1, state.ttlInSeconds), `more than ${config.startLimitPerMinute} workflow starts a minute (INTERLOCK_START_LIMIT)`);
      const spread = await bursts(req);
      if (!spread.isAllowed && spread.isExceeded) throw refuse(reply, Math.max(1, spread.ttlInSeconds), `more than ${burst} workflow starts in 5 s (a twelfth of INTERLOCK_START_LIMIT=${config.startLimitPerMinute}, at least 5): spread them out`);
    } catch (err) {
      release();
      throw err;
    }
    return { release };
  };
}
