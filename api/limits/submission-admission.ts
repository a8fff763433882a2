import type { FastifyReply } from 'fastify';
import type { Config } from '../../config';
import { ErrorCode, InterlockError } from '../../core/errors';

/** One admitted submission; `release` when it is answered. */
export interface AdmittedStart {
  release(): void;
}

/**
 * The workflow-start budget of each principal, one per API process, shared by every door that starts actions
 * (POST /v1/actions and the `/mcp` gateway), so a second door is not a second budget.
 */
export interface SubmissionAdmission {
  /** Takes a start and an in-flight place; throws InterlockError `rate_limited` whose details carry `retryAfterSeconds`. */
  admit(principalId: string): AdmittedStart;
}

/** A count per key over a fixed window that opens at the key's first hit (as @fastify/rate-limit's local store counts). */
class FixedWindow {
  private readonly windows = new Map<string, { count: number; closesAt: number }>();
  constructor(private readonly max: number, private readonly windowMs: number) {}

  /** Counts one hit (a refused one too); the seconds until the window closes when the key is over `max`, else null. */
  hit(key: string, now = Date.now()): number | null {
    let w = this.windows.get(key);
    if (!w || w.closesAt <= now) {
      if (this.windows.size > 10_000) for (const [k, old] of this.windows) if (old.closesAt <= now) this.windows.delete(k);
      w = { count: 0, closesAt: now + this.windowMs };
      this.windows.set(key, w);
    }
    w.count++;
    return w.count > this.max ? Math.max(1, Math.ceil((w.closesAt - now) / 1000)) : null;
  }
}

/** The starts a principal may make in any 5 s: a quarter of its minute's budget, at least 5. */
const burstOf = (perMinute: number): number => Math.max(5, Math.ceil(perMinute / 4));

const refusal = (limit: string, retryAfterSeconds: number, message: string) =>
  new InterlockError(ErrorCode.rateLimited, `${message}; retry in ${retryAfterSeconds} s`, [{ field: limit, message, retryAfterSeconds }]);

/**
 * Per principal, so one principal's flood cannot take the workflow starts, the worker and the database from
 * everyone else: at most `INTERLOCK_START_LIMIT` submissions a minute (a 422 counts too: it cost an evaluation),
 * spread over the minute, and at most `INTERLOCK_SUBMIT_CONCURRENCY` in flight at once.
 */
export function createSubmissionAdmission(config: Pick<Config, 'startLimitPerMinute' | 'submitConcurrency'>): SubmissionAdmission {
  const starts = new FixedWindow(config.startLimitPerMinute, 60_000);
  // The minute's budget may not arrive at once: a burst of starts queues in front of everyone's votes in Temporal,
  // so at most a quarter of it (and never fewer than 5, nor more than the minute allows) in any 5 seconds.
  const burst = Math.min(config.startLimitPerMinute, burstOf(config.startLimitPerMinute));
  const bursts = new FixedWindow(burst, 5_000);
  // Keys are principals, and an entry is removed at zero: the map stays small.
  const inFlight = new Map<string, number>();

  return {
    admit(id) {
      const running = inFlight.get(id) ?? 0;
      if (running >= config.submitConcurrency) throw refusal('INTERLOCK_SUBMIT_CONCURRENCY', 1, `more than ${config.submitConcurrency} submissions in flight at once (INTERLOCK_SUBMIT_CONCURRENCY)`);
      const minute = starts.hit(id);
      if (minute !== null) throw refusal('INTERLOCK_START_LIMIT', minute, `more than ${config.startLimitPerMinute} workflow starts a minute (INTERLOCK_START_LIMIT)`);
      const spread = bursts.hit(id);
      if (spread !== null) throw refusal('INTERLOCK_START_LIMIT', spread, `more than ${burst} workflow starts in 5 s (a quarter of INTERLOCK_START_LIMIT=${config.startLimitPerMinute}, at least 5): spread them out`);
      inFlight.set(id, running + 1);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          const left = (inFlight.get(id) ?? 1) - 1;
          if (left > 0) inFlight.set(id, left);
          else inFlight.delete(id);
        },
      };
    },
  };
}

/** The HTTP door's use of it: a refusal also says in `Retry-After` when to come back. */
export function admitRequest(admission: SubmissionAdmission, principalId: string, reply: FastifyReply): AdmittedStart {
  try {
    return admission.admit(principalId);
  } catch (err) {
    const retry = err instanceof InterlockError ? err.details.find((d) => typeof d.retryAfterSeconds === 'number')?.retryAfterSeconds : undefined;
    if (retry !== undefined) reply.header('retry-after', retry);
    throw err;
  }
}
