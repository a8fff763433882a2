import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MockActivityEnvironment } from '@temporalio/testing';
import { whileHeartbeating } from '../../executors/heartbeat';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

test("an executor's timeout fires even when a garbage collection runs while the call is open", { timeout: 15_000 }, async () => {
  // Node 20's AbortSignal.any() holds its sources weakly: a bare AbortSignal.timeout() passed to it could be
  // collected before it fired, and the call then ran on to the activity's own start-to-close timeout.
  const env = new MockActivityEnvironment();
  for (let i = 0; i < 5; i++) {
    const started = Date.now();
    const call = env.run(() =>
      whileHeartbeating(300, (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }))),
    );
    const collecting = setInterval(gc, 20);
    const err = await call.then(() => null, (e: unknown) => e as Error);
    clearInterval(collecting);
    assert.equal(err?.name, 'TimeoutError', `try ${i}: ${String(err)}`);
    assert.ok(Date.now() - started < 2000, `try ${i}: aborted at its timeout, not later (${Date.now() - started} ms)`);
  }
});
