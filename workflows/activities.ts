import { proxyActivities, proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow';
import type { createActivities } from '../activities';

type Activities = ReturnType<typeof createActivities>;

/** Every retry is bounded: a step that cannot be made closes the action (fail closed) instead of holding it for ever. */
export const { recordStep, evaluatePolicy } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  // About a minute of tries; data the database refuses is not retried at all.
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 10, nonRetryableErrorTypes: ['AuditDataRejected'] },
});

export const { reportFailClosed } = proxyLocalActivities<Activities>({ startToCloseTimeout: '5s', retry: { maximumAttempts: 3 } });

const executorOptions: ActivityOptions = {
  startToCloseTimeout: '10m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 6, nonRetryableErrorTypes: ['HttpClientError', 'ExecutorMisconfigured', 'TargetNotAllowed'] },
};

/** `runExecutor` serves every executor; `executeHttp` is the name histories recorded before the executor seam. */
export const { runExecutor, executeHttp } = proxyActivities<Activities>(executorOptions);

/**
 * The same activity with a heartbeat timeout (the executors heartbeat while they wait): an attempt whose worker
 * died is retried on another after 10 s instead of after the 10 min start-to-close. Interim until per-target plans.
 */
export const { runExecutor: runExecutorHeartbeating } = proxyActivities<Activities>({ ...executorOptions, heartbeatTimeout: '10s' });

export const { notifyActionChange } = proxyActivities<Activities>({
  startToCloseTimeout: '20s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 4 },
});
