import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Refusal } from '../workflows/messages';
import { dependencyUnavailable, unavailable } from './dependency-errors';
import { ErrorCode, InterlockError } from './errors';

/** Temporal's answer once a workflow run has had its maximum of distinct Updates (2000 by default). */
const UPDATE_BUDGET_SPENT = /limit on the total number of distinct updates/i;

/** The workflow validators' refusals (ApplicationFailure types) as the contract's codes. */
const REFUSAL_CODES: Record<Refusal, ErrorCode> = {
  [Refusal.notAnApprover]: ErrorCode.notAnApprover,
  [Refusal.selfApproval]: ErrorCode.selfApproval,
  [Refusal.onBehalfOfApproval]: ErrorCode.onBehalfOfApproval,
  [Refusal.serviceCannotApprove]: ErrorCode.serviceCannotApprove,
  [Refusal.notAllowed]: ErrorCode.notAllowed,
  [Refusal.alreadyVoted]: ErrorCode.alreadyVoted,
  [Refusal.actionClosed]: ErrorCode.actionClosed,
  [Refusal.groupAlreadyCounted]: ErrorCode.groupAlreadyCounted,
  [Refusal.notAwaitingResult]: ErrorCode.notAwaitingResult,
  [Refusal.grantUsed]: ErrorCode.grantUsed,
  [Refusal.grantExpired]: ErrorCode.grantExpired,
  [Refusal.grantInvalid]: ErrorCode.grantInvalid,
  [Refusal.stepUpRequired]: ErrorCode.stepUpRequired,
};

/**
 * Turns a refused or failed Update into the contract's error. Refusals come from the workflow's validators with a
 * typed ApplicationFailure, so the caller learns at once why. Any other failure (the server rejecting an Update no
 * worker took in time, an audit write that could not be made) is the service's trouble, not the caller's: unavailable.
 * null: the workflow is gone or already closed, so only the recorded action can say what to answer.
 */
export function updateError(err: unknown): InterlockError | null {
  if (err instanceof WorkflowUpdateFailedError) {
    const type = err.cause instanceof ApplicationFailure ? (err.cause.type ?? '') : '';
    const code = REFUSAL_CODES[type as Refusal];
    if (code) return new InterlockError(code, err.cause!.message);
    return unavailable(`the action's workflow could not take the request now (${err.cause?.message ?? err.message})`);
  }
  if (err instanceof WorkflowNotFoundError) return null;
  if (/Workflow Task in failed state/i.test(String((err as Error)?.message))) {
    return new InterlockError(ErrorCode.unavailable, 'the action\'s workflow is failing and cannot take this request now; operators see why in Temporal UI');
  }
  const message = String((err as Error)?.message ?? err);
  if (/already completed|workflow execution.*(completed|closed)/i.test(message)) return null;
  // Permanent for the workflow's run (a retry never succeeds): the caller is told so, not 500 "retry".
  if (UPDATE_BUDGET_SPENT.test(`${message} ${String((err as { cause?: Error })?.cause?.message ?? '')}`)) {
    return new InterlockError(ErrorCode.conflict, "the action's workflow has taken Temporal's limit of Updates for one run and takes no more votes, cancels or results; an operator must close it (Temporal UI) and the requester submit again");
  }
  const transient = dependencyUnavailable(err);
  if (transient) return transient;
  if (/not found/i.test(message)) return null;
  throw err;
}
