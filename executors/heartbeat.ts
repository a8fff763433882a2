import { Context } from '@temporalio/activity';

/**
 * Heartbeats while `work` is pending, so Temporal notices a worker that died mid-operation within the
 * activity's heartbeat timeout and retries the attempt on another worker, instead of after start-to-close.
 */
export async function whileHeartbeating<T>(work: Promise<T>, everyMs = 2000): Promise<T> {
  const context = Context.current();
  const timer = setInterval(() => context.heartbeat(), everyMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
