import { patched } from '@temporalio/workflow';

/**
 * Workflow code generations. Every change to the commands the workflow issues sits behind a `patched()` id, so that
 * older histories replay. But each `patched()` a new run takes costs it two history events for ever: a marker and a
 * `TemporalChangeVersion` upsert.
 *
 * A new run asks one patch instead, `generation-5`, as the very first thing it does. Once that is in, every change
 * in `BAKED_IN` is in too, and `includes` does not ask `patched()` for it, so none of those markers are written.
 * (An allowed http action has 21 history events rather than 25.)
 *
 * A run recorded without the `generation-5` marker asks each patch as before. That covers older histories and runs
 * a worker from before this code began, so a mixed deploy replays either way.
 *
 * A change made after this generation goes behind a new `patched()` id, not into this list, until the next
 * generation.
 */
export const GENERATION_5 = 'generation-5';

/** The patch ids a generation-5 run has in without their markers. */
export const BAKED_IN: ReadonlySet<string> = new Set([
  'local-audit-steps',
  'policy-decided-at-submission',
  'executor-seam',
  'grant-lapse-audited',
  'execution-plan',
  'signed-grant',
  'claimed-grant',
]);

/** Asked once, first, by every run (ActionState's constructor): whether this run is generation 5. */
export function generation5(): boolean {
  return patched(GENERATION_5);
}

/** Whether this run has the change `id`: by its generation, else by `patched()` (the marker, as before). */
export function includes(run: { generation5: boolean }, id: string): boolean {
  if (run.generation5 && BAKED_IN.has(id)) return true;
  return patched(id);
}
