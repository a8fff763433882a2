import { ApplicationFailure } from '@temporalio/activity';
import type { AuditWriter } from '../audit';
import type { ActionResult, Execute } from '../domain/action';
import type { Db } from '../db';
import type { Metrics } from '../observability';
import type { PrivateAllowList, Resolve } from '../network';
import { createEvaluatePolicy, type PolicySource } from './evaluate-policy';
import { createExecuteHttp } from './execute-http';
import { createReportFailClosed } from './fail-closed';
import { createNotifyActivity, type ActionNotifier } from './notify';
import { createRecordStep } from './record-step';

export interface ActivityDeps {
  db: Db;
  audit: AuditWriter;
  policy: PolicySource;
  webhookSecret: string | undefined;
  /** INTERLOCK_HTTP_ALLOW_PRIVATE: none when absent. */
  httpAllowPrivate?: PrivateAllowList;
  /** Host name resolution for the http executor; the system resolver when absent. */
  resolve?: Resolve;
  notifier?: ActionNotifier;
  metrics?: Metrics;
}

/** Every activity the workflow may call, built from injected dependencies (the worker wires the real ones). */
export function createActivities(deps: ActivityDeps) {
  const executeHttp = createExecuteHttp({ db: deps.db, webhookSecret: deps.webhookSecret, allowPrivate: deps.httpAllowPrivate ?? new Set(), resolve: deps.resolve });
  return {
    recordStep: createRecordStep(deps.audit),
    evaluatePolicy: createEvaluatePolicy(deps.policy),
    /** The name histories recorded before the executor seam; new workflows call runExecutor. */
    executeHttp,
    runExecutor: async function runExecutor(input: { actionId: string; execute: Execute }): Promise<ActionResult> {
      if (input.execute.type === 'http') return executeHttp({ actionId: input.actionId, execute: input.execute });
      throw ApplicationFailure.nonRetryable(`no executor for execute.type "${input.execute.type}"`, 'ExecutorMisconfigured');
    },
    notifyActionChange: createNotifyActivity(deps.notifier),
    reportFailClosed: createReportFailClosed(deps.metrics),
  };
}

export type { ActionChange, ActionNotifier } from './notify';
export type { PolicySource } from './evaluate-policy';
export { policyInputFor } from './evaluate-policy';
export type { RecordStepInput } from './record-step';
export type { FailClosedReport } from './fail-closed';
