import { log } from '@temporalio/activity';
import type { Metrics } from '../observability';

export interface FailClosedReport {
  actionId: string;
  /** The status the action was closed with: `denied` before approval, `failed` after. */
  status: string;
  /** The activity whose bounded retries ran out. */
  activity: string;
  reason: string;
}

/** Counts and logs an action the workflow closed because a step could not be made; a local activity, no I/O but the metric. */
export function createReportFailClosed(metrics: Metrics | undefined) {
  return async function reportFailClosed(report: FailClosedReport): Promise<void> {
    metrics?.failedClosed.inc({ status: report.status, activity: report.activity });
    log.error('action closed: a step could not be made after its bounded retries', { ...report });
  };
}
