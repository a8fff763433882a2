import type { Action } from '../domain/action';

/** Thrown when the API refuses a request: the contract's error code, its message and the fields it names. */
export class InterlockApiError extends Error {
  override readonly name = 'InterlockApiError';
  constructor(readonly status: number, readonly code: string, message: string, readonly details: Array<Record<string, unknown>> = []) {
    super(message);
  }
}

/** Thrown by `guard` when the policy or an approver denied the action; `fn` did not run. */
export class ActionDenied extends Error {
  override readonly name = 'ActionDenied';
  constructor(readonly action: Action) {
    super(`${action.id} was denied${action.statusReason ? `: ${action.statusReason}` : ''}${action.decision?.ruleId ? ` (rule ${action.decision.ruleId})` : ''}`);
  }
}

/** Thrown by `guard` when no quorum was reached before the deadline (or the grant window closed); `fn` did not run. */
export class ActionExpired extends Error {
  override readonly name = 'ActionExpired';
  constructor(readonly action: Action) {
    super(`${action.id} expired before it was approved${action.statusReason ? `: ${action.statusReason}` : ''}`);
  }
}

/** Thrown by `guard` when the action was cancelled (by its requester or an admin); `fn` did not run. */
export class ActionCancelled extends Error {
  override readonly name = 'ActionCancelled';
  constructor(readonly action: Action) {
    super(`${action.id} was cancelled${action.statusReason ? `: ${action.statusReason}` : ''}`);
  }
}

/** Thrown by `wait` and `guard` when the action is still open after the time given. */
export class WaitTimedOut extends Error {
  override readonly name = 'WaitTimedOut';
  constructor(readonly action: Action) {
    super(`${action.id} is still ${action.status} after the time given to wait`);
  }
}
