/** Audit event types, exactly as the contract names them. */
export const AuditEventType = {
  actionSubmitted: 'action.submitted',
  policyEvaluated: 'policy.evaluated',
  approvalRequested: 'approval.requested',
  approvalEscalated: 'approval.escalated',
  approvalDecision: 'approval.decision',
  actionApproved: 'action.approved',
  actionDenied: 'action.denied',
  actionExpired: 'action.expired',
  actionCancelled: 'action.cancelled',
  executionStarted: 'execution.started',
  executionSucceeded: 'execution.succeeded',
  executionFailed: 'execution.failed',
  /** A gate-mode grant window closed without a result: the approval can no longer be used. */
  grantExpired: 'grant.expired',
  /** A gate-mode approval's grant: its id and window (never the token, which is made on each read by the requester). */
  grantIssued: 'grant.issued',
  /** The requester redeemed the grant (once): the action is executing until its result is reported. */
  grantRedeemed: 'grant.redeemed',
  /** A redemption refused (forged, altered, expired, for other params, used, by someone else); never the token. */
  grantRefused: 'grant.refused',
  /** An MCP tool call the policy allowed (forwarded at once) or denied, without a workflow: rule, outcome, arguments hash, duration. */
  mcpCall: 'mcp.call',
  /** The key grants are signed with changed (old and new kid). */
  keyRotated: 'key.rotated',
  /** policy.yaml, targets.yaml or principals.yaml reloaded (file, old and new version). */
  configReloaded: 'config.reloaded',
  /** An Interlock API token was created (its id, principal and expiry; never the secret). */
  tokenCreated: 'token.created',
  /** An Interlock API token was revoked; requests with it are refused from then on. */
  tokenRevoked: 'token.revoked',
  /** Not in the contract's list: a channel could not deliver a notification (the decision itself is unaffected); written by the notification activity. */
  notificationFailed: 'notification.failed',
} as const;
export type AuditEventType = (typeof AuditEventType)[keyof typeof AuditEventType];
export const AUDIT_EVENT_TYPES = Object.values(AuditEventType) as AuditEventType[];

/** An event before the audit log gives it a place in the chain. `id` is chosen by the writer so a retry is recognised. */
export interface NewAuditEvent {
  id: string;
  actionId: string | null;
  type: AuditEventType | string;
  actor: string;
  at: string;
  data: Record<string, unknown>;
  policyVersion: string | null;
}

/** An event as stored: its place in the total order and its link in the hash chain. */
export interface AuditEvent extends NewAuditEvent {
  seq: number;
  prevHash: string;
  hash: string;
}
