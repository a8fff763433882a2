import { CancelledFailure, Context } from '@temporalio/activity';

/** How often a waiting executor heartbeats; the worker batches them to the server within the heartbeat timeout. */
const HEARTBEAT_EVERY_MS = 1000;

/**
 * Heartbeats while `work` runs: a worker that dies mid-operation misses its heartbeats, so the attempt is retried
 * after the (short) heartbeat timeout instead of the whole target timeout, and a cancel reaches the activity.
 */
export async function heartbeatWhile<T>(work: Promise<T>): Promise<T> {
  const ctx = Context.current();
  // A local activity has no heartbeat: the worker keeps its workflow task alive, and a cancel still reaches it.
  if (ctx.info.isLocal) return work;
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

/**
 * An HTTP call made while heartbeating, aborted when the activity is cancelled: the caller learns the request
 * was cut off (the receiver may already have begun it; a new attempt would carry the same Idempotency-Key).
 */
export async function whileHeartbeating<T>(timeoutMs: number, send: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const cancelled = Context.current().cancellationSignal;
  // Not AbortSignal.timeout(): Node 20's AbortSignal.any() holds its sources weakly, and a timeout signal nothing
  // else holds can be collected before it fires (nodejs/node#57736), leaving the call open past its timeout. The
  // timer below holds its controller until it fires or the call settles.
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
  try {
    return await heartbeatWhile(send(AbortSignal.any([timeout.signal, cancelled])));
  } catch (err) {
    if (!cancelled.aborted) throw err;
    const message = 'the request was aborted before its answer (the receiver may already have begun it)';
    throw new CancelledFailure(message, [{ message, executor: 'http', aborted: true }]);
  } finally {
    clearTimeout(timer);
  }
}
