import { condition, patched } from '@temporalio/workflow';
import type { ActionResult } from '../domain/action';
import type { PolicyDecision } from '../domain/decision';
import { SYSTEM, type ActionState } from './action-state';
import { executeHttp, runExecutor, runExecutorHeartbeating } from './activities';

const DEFAULT_GRANT_SECONDS = 3600;

/** patched() ids: each guards a change to the commands this file issues, so histories recorded before it replay. */
export const Patch = {
  /** One generic `runExecutor` activity for every executor, where histories before it called `executeHttp`. */
  executorSeam: 'executor-seam',
  /** A gate-mode grant window that closes without a result is recorded (`grant.expired`). */
  grantLapseAudited: 'grant-lapse-audited',
  /** `runExecutor` with a heartbeat timeout, so a killed worker's attempt is retried within seconds. */
  executorHeartbeat: 'executor-heartbeat',
} as const;

/** Runs the approved operation with the executor its `execute.type` names, and records what it answered. */
export async function runExecution(a: ActionState): Promise<void> {
  const { id, submission } = a.input;
  const { type, ...fields } = a.action.execute;
  await a.transition({ status: 'executing', reason: null, events: [{ type: 'execution.started', actor: SYSTEM, data: { executor: type, ...fields } }] });
  let result: ActionResult;
  try {
    const run = type === 'http' && !patched(Patch.executorSeam) ? executeHttp : patched(Patch.executorHeartbeat) ? runExecutorHeartbeating : runExecutor;
    result = await run({ actionId: id, execute: submission.execute as never });
  } catch (err) {
    const cause = (err as { cause?: { message?: string; details?: unknown[] } }).cause;
    const details = (cause?.details?.[0] ?? {}) as { httpStatus?: number; output?: string };
    result = { status: 'failed', httpStatus: details.httpStatus, output: details.output, error: cause?.message ?? String(err) };
  }
  a.action.result = result;
  await a.transition({
    status: result.status,
    reason: result.status === 'failed' ? (result.error ?? `HTTP ${result.httpStatus}`) : null,
    events: [{ type: result.status === 'succeeded' ? 'execution.succeeded' : 'execution.failed', actor: SYSTEM, data: { executor: type, ...result } }],
    notify: ['result'],
  });
}

/**
 * Gate mode: the caller runs the operation within the grant window and reports the result (`reportResult`).
 * A window that closes without one is its own audited outcome: still `approved`, with the reason it lapsed.
 */
export async function awaitGateResult(a: ActionState, p: PolicyDecision): Promise<void> {
  const grant = (p.grantSeconds ?? DEFAULT_GRANT_SECONDS) * 1000;
  a.action.grantExpiresAt = new Date(Date.now() + grant).toISOString();
  a.action.updatedAt = a.now();
  await condition(() => a.status !== 'approved' || a.fault !== null, grant);
  if (a.status !== 'approved' || a.fault || !patched(Patch.grantLapseAudited)) return;
  await a.transition({
    status: 'approved',
    reason: `approved, but the grant window closed at ${a.action.grantExpiresAt} without a result; the operation may not run on this approval`,
    events: [{ type: 'grant.expired', actor: SYSTEM, data: { grantExpiresAt: a.action.grantExpiresAt } }],
    notify: ['result'],
  });
}
