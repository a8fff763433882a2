import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LOCAL_AUDIT_STEPS } from '../../workflows/action-state';
import { POLICY_DECIDED_AT_SUBMISSION } from '../../workflows/action-workflow';
import { Patch } from '../../workflows/execution';
import { BAKED_IN, BAKED_IN_6 } from '../../workflows/generation';

const known = new Set([LOCAL_AUDIT_STEPS, POLICY_DECIDED_AT_SUBMISSION, ...Object.values(Patch)]);

test('generation 6 has in every patch id the workflow code knows, and nothing else', () => {
  // A patch added later must stay behind patched() for generation-6 runs: it is added to the next generation, not here.
  assert.deepEqual([...BAKED_IN_6].sort(), [...known].sort());
});

test('generation 5 stays as it was recorded: every patch but the local executor', () => {
  assert.deepEqual([...BAKED_IN].sort(), [...known].filter((id) => id !== Patch.localExecutor).sort());
});
