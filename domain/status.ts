/** Action statuses, exactly as the contract names them. */
export const ActionStatus = {
  evaluating: 'evaluating',
  pendingApproval: 'pending_approval',
  approved: 'approved',
  executing: 'executing',
  succeeded: 'succeeded',
  failed: 'failed',
  denied: 'denied',
  expired: 'expired',
  cancelled: 'cancelled',
} as const;
export type ActionStatus = (typeof ActionStatus)[keyof typeof ActionStatus];
export const ACTION_STATUSES = Object.values(ActionStatus) as ActionStatus[];

/** Statuses after which nothing more happens to an action. `approved` is terminal only in gate mode, once the grant window closes. */
export const TERMINAL_STATUSES: readonly ActionStatus[] = ['succeeded', 'failed', 'denied', 'expired', 'cancelled'];

export function isTerminal(status: ActionStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Nothing more to wait for: a terminal status, or `approved` in gate mode (the caller may now run the operation). */
export function isSettled(a: { status: ActionStatus; execute: { type: string } }): boolean {
  return isTerminal(a.status) || (a.status === 'approved' && a.execute.type === 'none');
}

export const DecisionOutcome = { allow: 'allow', deny: 'deny', requireApproval: 'require_approval' } as const;
export type DecisionOutcome = (typeof DecisionOutcome)[keyof typeof DecisionOutcome];
