import type { RetrySchedule, TargetSet, TargetSource } from '../targets/types';
import type { Execute } from './registry';
import type { ExecutionPlan } from './types';

/** The http executor's options before targets: a 30 s request, six tries at most 30 s apart. */
const HTTP_DEFAULT_RETRY: RetrySchedule = { attempts: 6, maxIntervalSeconds: 30 };
const HTTP_DEFAULT_TIMEOUT_SECONDS = 30;

/**
 * The plan the workflow runs `execute` with, from the target it names as configured now; null for gate mode
 * (nothing runs) or a target the submission check has already refused. An http call by bare URL keeps the
 * options it always had, until every http call names a target.
 */
export function executionPlan(execute: Execute, targets: TargetSet): ExecutionPlan | null {
  if (execute.type === 'none') return null;
  const name = 'target' in execute && typeof execute.target === 'string' ? execute.target : null;
  const target = name === null ? undefined : targets.get(name);
  if (execute.type === 'postgres') {
    const statement = target?.type === 'postgres' ? target.statements[execute.statement] : undefined;
    if (!target || !statement) return null;
    return { target: target.name, timeoutSeconds: target.timeoutSeconds, retry: { ...target.retry }, statement: { name: execute.statement, sql: statement.sql, params: [...statement.params] } };
  }
  if (target) return { target: target.name, timeoutSeconds: target.timeoutSeconds, retry: { ...target.retry } };
  const timeoutSeconds = 'timeoutSeconds' in execute && typeof execute.timeoutSeconds === 'number' ? execute.timeoutSeconds : HTTP_DEFAULT_TIMEOUT_SECONDS;
  return { target: null, timeoutSeconds, retry: { ...HTTP_DEFAULT_RETRY } };
}

/** No target configured: what the executors see until the targets store is wired (and in tests that need none). */
export const NO_TARGETS: TargetSource = {
  current: () => ({ version: 'sha256:none', get: () => undefined, all: () => [] }),
};
