// The activities the worker registers: the workflow's only I/O (audit steps, executors, notifications), built from injected services.
import { ApplicationFailure } from '@temporalio/activity';
import type { AuditWriter } from '../audit';
import type { ActionResult, Execute } from '../domain/action';
import type { Db } from '../db';
import type { Metrics } from '../observability';
import type { PrivateAllowList, Resolve } from '../network';
import { createEvaluatePolicy, type PolicySource } from './evaluate-policy';
import { executorFor, httpExecutor, type ExecutionPlan, type ExecutorDeps } from '../executors';
import { createReportFailClosed } from './fail-closed';
import type { Channel } from '../channels/types';
import { createNotifyActivity } from './notify';
import { createRecordStep } from './record-step';
import { NO_TARGETS, type ReferenceSources, type TargetSource } from '../targets';

export interface ActivityDeps {
  db: Db;
  audit: AuditWriter;
  policy: PolicySource;
  webhookSecret: string | undefined;
  /** INTERLOCK_HTTP_ALLOW_PRIVATE: none when absent. */
  httpAllowPrivate?: PrivateAllowList;
  /** Host name resolution for the http executor; the system resolver when absent. */
  resolve?: Resolve;
  /** targets.yaml in force (services.targets); none when absent, so nothing can be executed. */
  targets?: TargetSource;
  /** Where target references are read; the worker's environment and files when absent. */
  references?: ReferenceSources;
  /** Where changes are announced (none: nobody is told, nothing fails). */
  channels?: readonly Channel[];
  metrics?: Metrics;
}

/** Every activity the workflow may call, built from injected dependencies (the worker wires the real ones). */
export function createActivities(deps: ActivityDeps) {
  const executorDeps: ExecutorDeps = {
    db: deps.db,
    config: { webhookSecret: deps.webhookSecret, httpAllowPrivate: deps.httpAllowPrivate ?? new Set() },
    resolve: deps.resolve,
    targets: deps.targets ?? { current: () => NO_TARGETS },
    references: deps.references,
  };
  // Built once per executor, at start-up, like every other activity.
  const runners = new Map<string, ReturnType<typeof httpExecutor.createActivity>>();
  const runnerFor = (type: string) => {
    if (!runners.has(type)) runners.set(type, executorFor(type).createActivity(executorDeps));
    return runners.get(type)!;
  };
  const timed = <I extends { execute: Execute }>(run: (input: I) => Promise<ActionResult>) => async (input: I): Promise<ActionResult> => {
    const end = deps.metrics?.execution.startTimer({ executor: input.execute.type });
    try {
      return await run(input);
    } finally {
      end?.();
    }
  };
  const executeHttp = timed(runnerFor('http'));
  return {
    recordStep: createRecordStep(deps.audit, deps.metrics),
    evaluatePolicy: createEvaluatePolicy(deps.policy),
    /** The name histories recorded before the executor seam; new workflows call runExecutor. */
    executeHttp,
    /** The one activity new workflows call to run an approved action: the registry's executor for `execute.type`. */
    runExecutor: async function runExecutor(input: { actionId: string; execute: Execute; plan?: ExecutionPlan }): Promise<ActionResult> {
      let run;
      try {
        run = runnerFor(input.execute.type);
      } catch (err) {
        throw ApplicationFailure.nonRetryable((err as Error).message, 'ExecutorMisconfigured');
      }
      return timed(run)(input as never);
    },
    notifyActionChange: createNotifyActivity({ channels: deps.channels ?? [], audit: deps.audit, metrics: deps.metrics }),
    reportFailClosed: createReportFailClosed(deps.metrics),
  };
}

export type { ActionChange } from './notify';
export type { PolicySource } from './evaluate-policy';
export { policyInputFor } from './evaluate-policy';
export type { RecordStepInput } from './record-step';
export type { FailClosedReport } from './fail-closed';
