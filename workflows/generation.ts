import { patched } from '@temporalio/workflow';

/**
 * Workflow code generations. Every change to the commands the workflow issues is behind a `patched()` id, so older
 * histories replay; but each `patched()` that a new run takes costs it two history events (a marker and a
 * `TemporalChangeVersion` upsert) for ever. A run submitted as generation `GENERATION` (the API sets
 * `input.generation`) has every change of `BAKED_IN` in by construction: `includes` answers true without asking
 * `patched()`, so none of those markers is written. Runs without the field (older histories) ask as before.
 * A change made after this generation is behind a new `patched()` id, not added here, until the next generation.
 * Deploy workers before API processes: a worker from before this code would take a generation-5 run's patches.
 */
export const GENERATION = 5;

/** The patch ids generation 5 runs have in without markers. */
export const BAKED_IN: ReadonlySet<string> = new Set([
  'local-audit-steps',
  'policy-decided-at-submission',
  'executor-seam',
  'grant-lapse-audited',
  'execution-plan',
  'signed-grant',
  'claimed-grant',
]);

/** Whether this run has the change `id`: by its generation, else by `patched()` (the marker, as before). */
export function includes(input: { generation?: number }, id: string): boolean {
  if ((input.generation ?? 0) >= GENERATION && BAKED_IN.has(id)) return true;
  return patched(id);
}
