import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';

type Activities = ReturnType<typeof createActivities>;

/** Every retry is bounded: a step that cannot be made closes the action (fail closed) instead of holding it for ever. */
export const { recordStep, evaluatePolicy } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  // About a minute of tries; data the database refuses is not retried at all.
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 10, nonRetryableErrorTypes: ['AuditDataRejected'] },
});

export const { reportFailClosed } = proxyLocalActivities<Activities>({ startToCloseTimeout: '5s', retry: { maximumAttempts: 3 } });

/** `runExecutor` serves every executor; `executeHttp` is the name histories recorded before the executor seam. */
export const { runExecutor, executeHttp } = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 6, nonRetryableErrorTypes: ['HttpClientError', 'ExecutorMisconfigured', 'TargetNotAllowed'] },
});

export const { notifyActionChange } = proxyActivities<Activities>({
  startToCloseTimeout: '20s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 4 },
});
