import { patched } from '@temporalio/workflow';

/**
 * Workflow code generations. Every change to the commands the workflow issues sits behind a `patched()` id, so that
 * older histories replay. But each `patched()` a new run takes costs it two history events for ever: a marker and a
 * `TemporalChangeVersion` upsert.
 *
 * A new run asks one patch instead, `generation-6`, as the very first thing it does. Once that is in, every change
 * in `BAKED_IN_6` is in too, and `includes` does not ask `patched()` for it, so none of those markers are written.
 * (An allowed http action has 21 history events rather than 25.)
 *
 * A run recorded with the `generation-5` marker (before the local executor) replays as generation 5: `BAKED_IN` is
 * in, `local-executor` is asked by `patched()` and is out. A run recorded with neither marker asks each patch as
 * before. That covers older histories and runs a worker from before this code began. The reverse does not hold: a
 * worker from before generation 6 cannot replay a run that wrote `generation-6` (docs/ARCHITECTURE.md says how to
 * roll workers).
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

/**
 * Generation 6: generation 5 and `local-executor` (an auto-allowed execution with a short target timeout runs as a
 * local activity). A generation-6 run writes the `generation-6` marker in place of `generation-5`.
 */
export const GENERATION_6 = 'generation-6';

/** The patch ids a generation-6 run has in without their markers. */
export const BAKED_IN_6: ReadonlySet<string> = new Set([...BAKED_IN, 'local-executor']);

const NONE: ReadonlySet<string> = new Set();

/**
 * Asked once, first, by every run (ActionState's constructor): the patch ids this run has in by its generation. A new
 * run is generation 6 (one marker); a history recorded as generation 5 replays as 5; one with neither marker has
 * none, and asks each patch.
 */
export function bakedIn(): ReadonlySet<string> {
  if (patched(GENERATION_6)) return BAKED_IN_6;
  return patched(GENERATION_5) ? BAKED_IN : NONE;
}

/** Whether this run has the change `id`: by its generation, else by `patched()` (the marker, as before). */
export function includes(run: { bakedIn: ReadonlySet<string> }, id: string): boolean {
  return run.bakedIn.has(id) || patched(id);
}
