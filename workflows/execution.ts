import { ActivityFailure, CancellationScope, condition, isCancellation, TemporalFailure } from '@temporalio/workflow';
import type { ActionResult } from '../domain/action';
import type { PolicyDecision } from '../domain/decision';
import { SYSTEM, type ActionState, type CancelRequest } from './action-state';
import { executeHttp, plannedExecutor, plannedLocalExecutor, runExecutor, runsLocally } from './activities';
import { includes } from './generation';

export const DEFAULT_GRANT_SECONDS = 3600;

/** patched() ids: each guards a change to the commands this file issues, so histories recorded before it replay. */
export const Patch = {
  /** One generic `runExecutor` activity for every executor, where histories before it called `executeHttp`. */
  executorSeam: 'executor-seam',
  /** A gate-mode grant window that closes without a result is recorded (`grant.expired`). */
  grantLapseAudited: 'grant-lapse-audited',
  /** The executor runs with the options of its target's plan (timeout, retries, heartbeat) in a scope a cancel can stop. */
  executionPlan: 'execution-plan',
  /**
   * A gate-mode approval issues a signed grant (`grant.issued` in the approval's step, the window from then on),
   * which `redeemGrant` consumes. The steps after a redemption (a result, or `failed` when the window closes
   * first) need no id of their own: only a workflow that took this path can have been redeemed.
   */
  signedGrant: 'signed-grant',
  /** A vote that reaches quorum redeems the grant for the gateway call that claimed it, in the approval's step. */
  claimedGrant: 'claimed-grant',
  /**
   * An auto-allowed execution to a target that `runsLocally` (timeout at most 5 s, two tries or more) runs as a local activity
   * (no activity task, one workflow task for the whole action). Generation 6 has it in.
   */
  localExecutor: 'local-executor',
} as const;

/** Runs the approved operation with the executor its `execute.type` names, and records what it answered. */
export async function runExecution(a: ActionState): Promise<void> {
  const { id, submission, execution: plan } = a.input;
  const { type, ...fields } = a.action.execute;
  // Actions submitted with a plan run on their target's options and can be cancelled while they run.
  const planned = plan !== undefined && includes(a, Patch.executionPlan);
  a.executionCancellable = planned;
  await a.transition({ status: 'executing', reason: null, events: [{ type: 'execution.started', actor: SYSTEM, data: { executor: type, ...fields, ...(planned ? { plan } : {}) } }] });
  try {
    let result: ActionResult;
    try {
      if (planned) {
        if (a.cancelRequest) return await recordCancelled(a, a.cancelRequest, null); // cancelled while execution.started was written
        const scope = new CancellationScope();
        a.stopExecution = () => scope.cancel();
        // Decided by policy alone (no approver waits on a vote's answer) and short: inside the workflow task.
        const local = a.policy?.outcome === 'allow' && runsLocally(plan) && includes(a, Patch.localExecutor);
        const executor = local ? plannedLocalExecutor(plan) : plannedExecutor(plan);
        result = await scope.run(() => executor.executeWithOptions({ summary: executionSummary(a) }, [{ actionId: id, execute: submission.execute as never, plan }]));
      } else {
        const run = type === 'http' && !includes(a, Patch.executorSeam) ? executeHttp : runExecutor;
        result = await run.executeWithOptions({ summary: executionSummary(a) }, [{ actionId: id, execute: submission.execute as never }]);
      }
    } catch (err) {
      if (a.cancelRequest && isCancellation(err)) return await recordCancelled(a, a.cancelRequest, err);
      const cause = executorFailure(err);
      const details = (cause?.details?.[0] ?? {}) as { httpStatus?: number; output?: string };
      result = { status: 'failed', httpStatus: details.httpStatus, output: details.output, error: cause?.message ?? String(err) };
    } finally {
      a.stopExecution = null;
    }
    a.action.result = result;
    const late = a.cancelRequest;
    const failedReason = result.error ?? `HTTP ${result.httpStatus}`;
    await a.transition({
      status: result.status,
      // A cancel that arrived after the operation finished changes nothing; the reason says it came too late.
      reason: late ? `cancel requested by ${late.principal} arrived after the operation had ${result.status === 'succeeded' ? 'succeeded' : `failed (${failedReason})`}` : result.status === 'failed' ? failedReason : null,
      events: [{ type: result.status === 'succeeded' ? 'execution.succeeded' : 'execution.failed', actor: SYSTEM, data: { executor: type, ...result, ...(late ? { cancelRequested: late } : {}) } }],
      notify: ['result'],
    });
  } finally {
    a.executionClosed = true;
  }
}

/**
 * What the executor threw: an activity's failure comes wrapped in an ActivityFailure (its cause), a local
 * activity's as it was thrown.
 */
function executorFailure(err: unknown): { message?: string; details?: unknown[] } | undefined {
  if (!(err instanceof TemporalFailure)) return undefined;
  return err instanceof ActivityFailure ? (err.cause as { message?: string; details?: unknown[] } | undefined) : (err as { message?: string; details?: unknown[] });
}

/** The activity's summary in Temporal UI: which executor runs it, and where. */
function executionSummary(a: ActionState): string {
  const e = a.action.execute as { type: string; target?: string; url?: string; statement?: string };
  return `run ${e.type}: ${e.target ?? ''}${e.statement ? ` ${e.statement}` : ''}${e.url && !e.target ? e.url.replace(/\?.*$/, '') : ''}`.trim();
}

/** The executor stopped on a cancel: `cancelled`, with what the executor reported (stopped, rolled back, aborted). */
async function recordCancelled(a: ActionState, req: CancelRequest, err: unknown): Promise<void> {
  const cancelled = err === null ? undefined : executorFailure(err);
  const report = (cancelled?.details?.[0] ?? {}) as Record<string, unknown>;
  // The server keeps a cancelled activity's details, not its message: executors put what they did in `details[0].message`.
  const said = err === null ? 'the executor had not started' : typeof report.message === 'string' ? report.message : 'the executor reported nothing: it was stopped between tries, or before it could say what it had done';
  await a.transition({
    status: 'cancelled',
    reason: `cancelled by ${req.principal} while executing${req.reason ? `: ${req.reason}` : ''}; ${said}`,
    events: [{ type: 'action.cancelled', actor: req.principal, data: { reason: req.reason, duringExecution: true, executor: a.action.execute.type, executorReported: { ...report, message: said } } }],
    notify: ['closed'],
  });
}

/**
 * Gate mode: the caller runs the operation within the grant window and reports the result (`reportResult`).
 * A window that closes without one is its own audited outcome: still `approved`, with the reason it lapsed.
 */
export async function awaitGateResult(a: ActionState, p: PolicyDecision): Promise<void> {
  // A grant issued at the approval set the window; histories from before it open the window here.
  const issued = a.action.grant;
  const window = issued ? Math.max(1, Date.parse(issued.expiresAt) - Date.now()) : (p.grantSeconds ?? DEFAULT_GRANT_SECONDS) * 1000;
  // Histories from before signed grants open the window here (a change the trail never held, as before). A grant
  // issued at the approval was recorded with it: nothing changes here, so the live action stays the recorded one.
  if (!issued) {
    a.action.grantExpiresAt = new Date(Date.now() + window).toISOString();
    a.action.updatedAt = a.now();
  }
  // `executing` is reached only by redeeming an issued grant; the result (or a cancel) ends the wait.
  await condition(() => (a.status !== 'approved' && a.status !== 'executing') || a.fault !== null, window);
  if (a.status === 'executing' && !a.fault) return redeemedWithoutResult(a);
  if (a.status !== 'approved' || a.fault || !includes(a, Patch.grantLapseAudited)) return;
  await a.transition({
    status: 'approved',
    reason: `approved, but the grant window closed at ${a.action.grantExpiresAt} without a result; the operation may not run on this approval`,
    events: [{ type: 'grant.expired', actor: SYSTEM, data: { grantExpiresAt: a.action.grantExpiresAt } }],
    notify: ['result'],
  });
}

/** The grant was redeemed, but its window closed with no result: the operation's outcome is unknown, so `failed`. */
async function redeemedWithoutResult(a: ActionState): Promise<void> {
  const grant = a.action.grant!;
  const reason = `the grant was redeemed at ${grant.redeemedAt}, but no result was reported before its window closed at ${grant.expiresAt}; failed`;
  a.action.result = { status: 'failed', error: reason };
  await a.transition({
    status: 'failed',
    reason,
    events: [{ type: 'execution.failed', actor: SYSTEM, data: { mode: 'gate', reason, redeemedAt: grant.redeemedAt, grantExpiresAt: grant.expiresAt } }],
    notify: ['result'],
  });
}
