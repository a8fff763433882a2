import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Refusal } from '../../workflows/messages';
import { dependencyUnavailable, unavailable } from '../dependency-errors';
import { ApiError, ErrorCode } from '../errors';

const FORBIDDEN: string[] = [Refusal.notAnApprover, Refusal.selfApproval, Refusal.onBehalfOfApproval, Refusal.serviceCannotApprove, Refusal.notAllowed];
const CONFLICT: string[] = [Refusal.alreadyVoted, Refusal.actionClosed, Refusal.groupAlreadyCounted, Refusal.notAwaitingResult];

/**
 * Turns a refused or failed Update into the contract's error. Refusals come from the workflow's validators with a
 * typed ApplicationFailure, so the caller learns at once why. Any other failure (the server rejecting an Update no
 * worker took in time, an audit write that could not be made) is the service's trouble, not the caller's: 503.
 */
export function updateError(err: unknown): ApiError | 'closed' | 'not_found' {
  if (err instanceof WorkflowUpdateFailedError) {
    const type = err.cause instanceof ApplicationFailure ? (err.cause.type ?? '') : '';
    const code = type.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
    if (FORBIDDEN.includes(type)) return new ApiError(403, code, err.cause!.message);
    if (CONFLICT.includes(type)) return new ApiError(409, code, err.cause!.message);
    return unavailable(`the action's workflow could not take the request now (${err.cause?.message ?? err.message})`);
  }
  if (err instanceof WorkflowNotFoundError) return 'not_found';
  if (/Workflow Task in failed state/i.test(String((err as Error)?.message))) {
    return new ApiError(503, ErrorCode.unavailable, 'the action\'s workflow is failing and cannot take this request now; operators see why in Temporal UI');
  }
  const message = String((err as Error)?.message ?? err);
  if (/already completed|workflow execution.*(completed|closed)/i.test(message)) return 'closed';
  const transient = dependencyUnavailable(err);
  if (transient) return transient;
  if (/not found/i.test(message)) return 'not_found';
  throw err;
}
