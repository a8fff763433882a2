import { ActivityCancellationType, proxyActivities, proxyLocalActivities, type ActivityInterfaceFor, type LocalActivityOptions } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { ExecutionPlan } from '../executors/types';

type Activities = ReturnType<typeof createActivities>;

/** Every retry is bounded: a step that cannot be made closes the action (fail closed) instead of holding it for ever. */
export const { recordStep, evaluatePolicy } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  // About a minute of tries; data the database refuses is not retried at all.
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 10, nonRetryableErrorTypes: ['AuditDataRejected'] },
});

/**
 * The same `recordStep`, run by the worker inside the workflow task (workflows since `local-audit-steps`): no task
 * queue round trip and three history events fewer per step. Same bounded retry; a step's event ids make a retry
 * after an unknown outcome write nothing twice, which is what a local activity's at-least-once needs.
 */
export const { recordStep: recordStepLocal } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 10, nonRetryableErrorTypes: ['AuditDataRejected'] },
});

export const { reportFailClosed } = proxyLocalActivities<Activities>({ startToCloseTimeout: '5s', retry: { maximumAttempts: 3 } });

/** `runExecutor` serves every executor; `executeHttp` is the name histories recorded before the executor seam. */
export const { runExecutor, executeHttp } = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 6, nonRetryableErrorTypes: ['HttpClientError', 'ExecutorMisconfigured', 'TargetNotAllowed'] },
});

/** At most this many attempts of one execution, as targets.yaml caps `retry.attempts`. */
export const MAX_EXECUTION_ATTEMPTS = 20;

/**
 * The plan's attempts as a bound Temporal keeps: a whole number from 1 to MAX_EXECUTION_ATTEMPTS. Anything else (a
 * plan without it, 0, NaN) is one attempt, never Temporal's 0 = retry for ever: an operation is not retried on a
 * schedule nobody configured.
 */
export function boundedAttempts(attempts: unknown): number {
  return typeof attempts === 'number' && Number.isInteger(attempts) && attempts >= 1 ? Math.min(attempts, MAX_EXECUTION_ATTEMPTS) : 1;
}

/** A killed worker's attempt is retried after this, not after the whole target timeout; executors heartbeat every second. */
export const EXECUTION_HEARTBEAT_TIMEOUT = '10s';
/** Connecting and the ledger's own statements, on top of the target's timeout for the operation itself. */
const EXECUTION_MARGIN_SECONDS = 10;

/**
 * `runExecutor` with the options the target set at submission: its timeout and retry schedule, a short heartbeat
 * timeout, and a cancel that waits for the executor to report what it stopped (or that it had finished).
 */
export function plannedExecutor(plan: ExecutionPlan): ActivityInterfaceFor<Activities>['runExecutor'] {
  return proxyActivities<Activities>({ ...plannedOptions(plan), heartbeatTimeout: EXECUTION_HEARTBEAT_TIMEOUT }).runExecutor;
}

/**
 * The longest target timeout an auto-allowed execution may have to run as a local activity. While a local activity
 * runs, the workflow task stays open: a cancel, a Query or the submission's answer waits for it to finish, or for
 * the worker's workflow-task heartbeat (8 s of the 10 s task timeout), whichever comes first. Up to this bound that
 * wait is short and rare; a target allowed to take longer runs as a heartbeating activity.
 */
export const LOCAL_EXECUTION_MAX_SECONDS = 5;

/**
 * Whether a planned execution may run as a local activity (the policy's `allow` is the caller's to check): a named
 * target an operator configured with a timeout of at most LOCAL_EXECUTION_MAX_SECONDS (a bare-URL call's timeout
 * is the submitter's, so it never qualifies) and at least two tries. A local activity's try under way when its
 * worker dies is made again by the next worker (its count is the worker's until the try is recorded), so a target
 * that allows one try only runs as an activity, whose tries the server counts. Part of generation 6's recorded
 * behaviour: a change here is a new patch.
 */
export function runsLocally(plan: ExecutionPlan): boolean {
  return plan.target !== null && plan.timeoutSeconds <= LOCAL_EXECUTION_MAX_SECONDS && boundedAttempts(plan.retry?.attempts) >= 2;
}

/**
 * `runExecutor` as a local activity, for an auto-allowed execution whose target answers within
 * LOCAL_EXECUTION_MAX_SECONDS: run by the worker inside the workflow task, with no activity task round trip (one
 * workflow task and 16 history events for the whole action, against 2 and 21). The same timeout, bounded retry and
 * cancel as `plannedExecutor`. A worker that dies mid-call is noticed when the workflow task times out (10 s, as the
 * heartbeat timeout); the retry carries the same Idempotency-Key (http) or meets the same ledger row (postgres), so
 * nothing runs twice in effect.
 */
export function plannedLocalExecutor(plan: ExecutionPlan): ActivityInterfaceFor<Activities>['runExecutor'] {
  // Every retry waits on a workflow timer, not inside the workflow task: a failed try is recorded (its count with
  // it), a cancel lands between tries, and the task is held for one try at a time. (1 ms rather than 0, which core
  // may read as unset, and unset is a minute.)
  return proxyLocalActivities<Activities>({ ...plannedOptions(plan), localRetryThreshold: '1ms' }).runExecutor;
}

function plannedOptions(plan: ExecutionPlan): LocalActivityOptions {
  const maxInterval = Math.max(1, Number(plan.retry?.maxIntervalSeconds) || 1);
  return {
    startToCloseTimeout: `${plan.timeoutSeconds + EXECUTION_MARGIN_SECONDS}s`,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      initialInterval: `${Math.min(1, maxInterval)}s`,
      backoffCoefficient: 2,
      maximumInterval: `${maxInterval}s`,
      maximumAttempts: boundedAttempts(plan.retry?.attempts),
      nonRetryableErrorTypes: ['HttpClientError', 'ExecutorMisconfigured', 'TargetNotAllowed', 'SqlError', 'StatementChanged'],
    },
  };
}

export const { notifyActionChange } = proxyActivities<Activities>({
  startToCloseTimeout: '20s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 4 },
});
