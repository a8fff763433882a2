import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LOCAL_AUDIT_STEPS } from '../../workflows/action-state';
import { POLICY_DECIDED_AT_SUBMISSION } from '../../workflows/action-workflow';
import { Patch } from '../../workflows/execution';
import { BAKED_IN } from '../../workflows/generation';

test('generation 5 has in every patch id the workflow code knows, and nothing else', () => {
  // A patch added later must stay behind patched() for generation-5 runs: it is added to the next generation, not here.
  const known = new Set([LOCAL_AUDIT_STEPS, POLICY_DECIDED_AT_SUBMISSION, ...Object.values(Patch)]);
  assert.deepEqual([...BAKED_IN].sort(), [...known].sort());
});
