import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Action, Execute, Submission } from '../domain/action';
import type { ExecuteLocation } from '../executors/types';
import type { PolicyDecision } from '../domain/decision';
import type { Principal } from '../domain/principal';
import type { ExecutionPlan } from '../executors/types';

export const WORKFLOW_TYPE = 'actionWorkflow';

/** What the API hands the workflow: the validated submission and the caller as its token identifies it. */
export interface ActionWorkflowInput {
  id: string;
  submission: Required<Pick<Submission, 'action' | 'resource' | 'environment' | 'params' | 'context' | 'breakGlass'>> & {
    justification: string | null;
    onBehalfOf: string | null;
    execute: Execute;
  };
  requester: Principal;
  submittedAt: string;
  /** http actions: `sha256:` of the canonical `execute`, computed by the API (no crypto in workflow code). */
  executeHash?: string;
  /** The policy's decision, made once by the API at submission (absent in histories from before that change). */
  decision?: PolicyDecision;
  /** The target of targets.yaml the `execute` runs against, as the API located it at submission (absent: none, or older histories). */
  executeTarget?: ExecuteLocation;
  /** How the executor runs (timeout, retries, the approved SQL), fixed at submission from the target; absent in older histories and for gate mode. */
  execution?: ExecutionPlan;
  /** Whether any channel (Slack, Teams) was configured at submission; false: no notification activity runs. Absent in older histories: notify. */
  notify?: boolean;
  /** Gate mode: `sha256:` of the RFC 8785 canonical params, computed by the API; a claim must be for exactly these. */
  paramsHash?: string;
}

/** The settle watch's argument: how long the handler waits before answering with the action as it is. */
export interface AwaitSettledInput {
  timeoutSeconds: number;
}

export interface DecideInput {
  /** `email` and `slack` are optional: votes sent before they were carried have only the id. */
  principal: Pick<Principal, 'id' | 'kind' | 'groups' | 'email' | 'slack'>;
  decision: 'approve' | 'deny';
  comment?: string | null;
  /** The channel's name: `api`, `slack`, later `teams`, `console`. */
  via: string;
  /** ISO time the voter signed in to the IdP (an OIDC token's or console session's `auth_time`); step-up rules need it. */
  authTime?: string | null;
  /**
   * A gateway call held for this gate-mode action in some API process, read from `grant_claims` by the API that
   * sends the vote: if this vote approves, the grant is redeemed for it in the approval's own step.
   */
  claim?: GrantClaim | null;
}

export interface GrantClaim {
  claimId: string;
  /** Who holds the call: only the requester's claim counts. */
  principal: string;
  /** `sha256:` of the canonical params the call will send (the API checked them against the action's). */
  paramsHash: string;
  /** ISO end of the lease: a claim of a process that stopped holding lapses. */
  until: string;
}

export interface CancelInput {
  principal: string;
  isAdmin: boolean;
  reason?: string | null;
}

export interface ReportResultInput {
  principal: string;
  status: 'succeeded' | 'failed';
  output?: unknown;
}

export interface RedeemGrantInput {
  principal: string;
  /** The redeemed token's jti, which must be the one the workflow issued. */
  jti: string;
  /** `sha256:` of the canonical params the caller redeemed with (checked by the API against the token's `ph`). */
  paramsHash: string;
}

/** A vote. The validator refuses, with a typed reason, anyone who may not vote now. */
export const decideUpdate = defineUpdate<Action, [DecideInput]>('decide');
export const cancelUpdate = defineUpdate<Action, [CancelInput]>('cancel');
/** Gate mode: the requester reports the outcome of the operation it ran itself. */
export const reportResultUpdate = defineUpdate<Action, [ReportResultInput]>('reportResult');
/** Gate mode: the requester consumes the grant, once; the action is `executing` until its result. */
export const redeemGrantUpdate = defineUpdate<Action, [RedeemGrantInput]>('redeemGrant');
export const getActionQuery = defineQuery<Action>('getAction');
/**
 * Sent with the workflow's start (Update-with-Start): answers once the trail holds the policy's decision, so a
 * submission returns `pending_approval`, `approved` or `denied` rather than `evaluating`.
 */
export const submittedUpdate = defineUpdate<Action, []>('submitted');
/**
 * One API process's watch on an action (shared by every `/wait` it serves): answers when the trail holds a settled
 * status (terminal, or approved in gate mode), or after `timeoutSeconds` (at most 300) with the action as it is.
 */
export const awaitSettledUpdate = defineUpdate<Action, [AwaitSettledInput]>('awaitSettled');

/** ApplicationFailure types a refused update carries; the API maps them to 403 or 409. */
export const Refusal = {
  notAnApprover: 'NotAnApprover',
  selfApproval: 'SelfApproval',
  onBehalfOfApproval: 'OnBehalfOfApproval',
  serviceCannotApprove: 'ServiceCannotApprove',
  alreadyVoted: 'AlreadyVoted',
  groupAlreadyCounted: 'GroupAlreadyCounted',
  actionClosed: 'ActionClosed',
  notAllowed: 'NotAllowed',
  notAwaitingResult: 'NotAwaitingResult',
  grantUsed: 'GrantUsed',
  grantExpired: 'GrantExpired',
  grantInvalid: 'GrantInvalid',
  stepUpRequired: 'StepUpRequired',
} as const;
export type Refusal = (typeof Refusal)[keyof typeof Refusal];
