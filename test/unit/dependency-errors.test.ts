import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dependencyUnavailable } from '../../core/dependency-errors';

test("a start Temporal refuses for a search attribute the namespace lacks is 503 unavailable naming it and `interlock temporal setup`", () => {
  // As Update-with-Start reports it: the server's message on an Error over the INVALID_ARGUMENT status.
  const err = Object.assign(new Error('Namespace fresh has no mapping defined for search attribute InterlockStatus'), { cause: Object.assign(new Error('3 INVALID_ARGUMENT: Update-with-Start could not be executed.'), { code: 3 }) });
  const mapped = dependencyUnavailable(err);
  assert.equal(mapped?.code, 'unavailable');
  assert.match(mapped!.message, /Namespace fresh has no mapping defined for search attribute InterlockStatus/);
  assert.match(mapped!.message, /npx interlock temporal setup/);
  assert.deepEqual(mapped!.details.map((d) => d.field), ['temporal']);
});

test('an error that is not about a dependency is not mapped', () => {
  assert.equal(dependencyUnavailable(new Error('something else')), null);
});
