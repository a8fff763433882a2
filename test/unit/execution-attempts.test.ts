import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TARGET_LIMITS } from '../../targets/parse';
import { boundedAttempts, MAX_EXECUTION_ATTEMPTS } from '../../workflows/activities';

test("an execution's attempts are always a bound: 1 to the targets cap, and 1 for a plan without a usable number (never 0 = for ever)", () => {
  assert.equal(MAX_EXECUTION_ATTEMPTS, TARGET_LIMITS.attempts.max);
  for (const n of [1, 6, 20]) assert.equal(boundedAttempts(n), n);
  assert.equal(boundedAttempts(1000), MAX_EXECUTION_ATTEMPTS);
  for (const bad of [undefined, null, 0, -3, 2.5, Number.NaN, Infinity, '6']) assert.equal(boundedAttempts(bad), 1, String(bad));
});
