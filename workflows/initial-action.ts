import type { Action } from '../domain/action';
import type { ActionWorkflowInput } from './messages';

/** The Action as it stands the moment it is submitted; the workflow starts from it and the API answers with it. */
export function initialAction(input: ActionWorkflowInput): Action {
  const sub = input.submission;
  return {
    id: input.id,
    action: sub.action,
    resource: sub.resource,
    environment: sub.environment,
    params: sub.params,
    justification: sub.justification,
    requester: input.requester.id,
    onBehalfOf: sub.onBehalfOf,
    context: sub.context,
    // Another executor's `execute` is shown as submitted (its schema admits only its own fields).
    execute: sub.execute.type === 'http' ? { type: 'http', method: sub.execute.method ?? 'POST', ...httpPlace(input), ...bodyOf(sub.execute) } : { ...sub.execute, ...sqlOf(input) },
    breakGlass: sub.breakGlass,
    status: 'evaluating',
    decision: null,
    approvals: [],
    result: null,
    statusReason: null,
    grantExpiresAt: null,
    createdAt: input.submittedAt,
    updatedAt: input.submittedAt,
  };
}

/**
 * Where an http action goes, as approvers see it: the target, the path as submitted, the full URL, and the names
 * (never the values) of the headers the target adds. Histories from before targets show the submitted URL.
 */
function httpPlace(input: ActionWorkflowInput): { target?: string; path?: string; url?: string; setByTarget?: string[] } {
  const execute = input.submission.execute as { target?: string; path?: string; url?: string };
  const where = input.executeTarget;
  if (!where) return { url: execute.url };
  return {
    target: where.target,
    ...(execute.path === undefined ? {} : { path: execute.path }),
    url: where.url ?? execute.url,
    ...(where.setByTarget && where.setByTarget.length > 0 ? { setByTarget: where.setByTarget } : {}),
  };
}

/** The SQL of a postgres action's statement as it was approved (from the plan), so approvers read what will run. */
function sqlOf(input: ActionWorkflowInput): { sql?: string } {
  return input.execution?.statement ? { sql: input.execution.statement.sql } : {};
}

/** Everything the request will carry besides method and URL, so approvers see exactly what is sent. */
function bodyOf(execute: { body?: unknown; headers?: Record<string, string>; timeoutSeconds?: number }): { body?: unknown; headers?: Record<string, string>; timeoutSeconds?: number } {
  return {
    ...(execute.body === undefined ? {} : { body: execute.body }),
    ...(execute.headers === undefined ? {} : { headers: execute.headers }),
    ...(execute.timeoutSeconds === undefined ? {} : { timeoutSeconds: execute.timeoutSeconds }),
  };
}
