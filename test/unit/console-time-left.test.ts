import assert from 'node:assert/strict';
import { test } from 'node:test';
import { timeLeft } from '../../console/pages';

test('the console shows time left in whole minutes, rounded up, with no "60 min"', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const at = (s: number) => timeLeft(new Date(now + s * 1000).toISOString(), now);
  assert.deepEqual([at(-5), at(1), at(61), at(3599), at(7199), at(7260)], ['due', '1 min', '2 min', '1 h 0 min', '2 h 0 min', '2 h 1 min']);
  assert.equal(timeLeft(null, now), '—');
});
