import type { Vote } from '../domain/action';
import type { ApproverSet } from '../domain/decision';
import { isIdentityOf, sameIdentity } from '../domain/identity';
import { emailOf, type Principal } from '../domain/principal';
import { Refusal } from './messages';

export interface Eligibility {
  ok: boolean;
  refusal?: Refusal;
  message?: string;
  /** The approver group this approval counts for (distinct-groups quorum), null for a named principal. */
  group?: string | null;
}

/**
 * Whether `voter` may cast `decision` now, given who may decide and the votes so far. Pure: the workflow
 * validator and the tests share it. Recorded ids are compared as identities, not strings: refusals match
 * any identity the voter has (a workflow may predate canonical ids), permission only its canonical id.
 */
export function checkVoter(args: {
  voter: Pick<Principal, 'id' | 'kind' | 'groups' | 'email' | 'slack'>;
  decision: 'approve' | 'deny';
  approvers: ApproverSet;
  approvals: Vote[];
  distinctGroups: boolean;
  /** The requester: a voter who is any of its identities (id, e-mail, Slack id) is the requester. */
  requester: string | Pick<Principal, 'id' | 'email' | 'slack'>;
  onBehalfOf: string | null;
  selfApprovalAllowed: boolean;
}): Eligibility {
  const { voter, approvers } = args;
  const isRequester = isRequesterVoter(voter, args.requester);
  if (isRequester && !args.selfApprovalAllowed) {
    return { ok: false, refusal: Refusal.selfApproval, message: `${voter.id} submitted this action and cannot decide on it` };
  }
  if (isIdentityOf(voter, args.onBehalfOf)) {
    return { ok: false, refusal: Refusal.onBehalfOfApproval, message: `this action was submitted on behalf of ${voter.id}, who cannot decide on it` };
  }
  if (args.approvals.some((v) => isIdentityOf(voter, v.principal))) {
    return { ok: false, refusal: Refusal.alreadyVoted, message: `${voter.id} has already voted on this action` };
  }
  if (voter.kind === 'service') {
    return { ok: false, refusal: Refusal.serviceCannotApprove, message: `${voter.id} is a service principal; only people decide` };
  }
  const viaGroups = voter.groups.filter((g) => approvers.groups.includes(g));
  const named = approvers.principals.some((p) => sameIdentity(p, voter.id));
  const selfByBreakGlass = isRequester && args.selfApprovalAllowed;
  if (!named && viaGroups.length === 0 && !selfByBreakGlass) {
    const who = [...approvers.groups.map((g) => `group ${g}`), ...approvers.principals].join(', ') || 'nobody';
    return { ok: false, refusal: Refusal.notAnApprover, message: `${voter.id} is not an approver of this action (approvers: ${who})` };
  }
  if (!args.distinctGroups || args.decision === 'deny' || selfByBreakGlass) return { ok: true, group: viaGroups[0] ?? null };
  const counted = new Set(args.approvals.filter((v) => v.decision === 'approve').map((v) => v.group).filter(Boolean));
  const open = viaGroups.filter((g) => !counted.has(g));
  if (open.length === 0 && !named) {
    return {
      ok: false,
      refusal: Refusal.groupAlreadyCounted,
      message: `an approval from group ${viaGroups.join('/')} is already counted; this rule needs approvals from distinct groups (${approvers.groups.join(', ')})`,
    };
  }
  return { ok: true, group: open[0] ?? null };
}

/**
 * Whether `voter` is the requester by any identity either has: the voter's id, e-mail or Slack id against the
 * requester's id, e-mail or Slack id. (A person listed as `alice` who signs in at an issuer naming people by e-mail
 * is still the requester.) The decide validator and its handler's break-glass test share it.
 */
export function isRequesterVoter(voter: Pick<Principal, 'id' | 'email' | 'slack'>, requester: string | Pick<Principal, 'id' | 'email' | 'slack'>): boolean {
  if (typeof requester === 'string') return isIdentityOf(voter, requester);
  return [requester.id, emailOf(requester), requester.slack].some((identity) => isIdentityOf(voter, identity));
}

export function quorumReached(approvals: Vote[], quorum: number): boolean {
  return approvals.filter((v) => v.decision === 'approve').length >= Math.max(quorum, 1);
}

/**
 * Why an approval on a step-up rule does not count (null when it does): the voter's IdP sign-in is missing or older
 * than the rule's max age at `nowMs` (workflow time). Denials need no step-up: refusing is never the risky direction.
 */
export function staleSignIn(maxAgeSeconds: number | null | undefined, vote: { decision: 'approve' | 'deny'; authTime?: string | null }, nowMs: number): string | null {
  if (!maxAgeSeconds || vote.decision !== 'approve') return null;
  if (!vote.authTime) return `this rule needs a sign-in to the identity provider within ${maxAgeSeconds} s before an approval counts; approve from the console (it asks for a fresh login) or with an OIDC token carrying auth_time`;
  const age = (nowMs - Date.parse(vote.authTime)) / 1000;
  if (!(age <= maxAgeSeconds)) return `your sign-in to the identity provider is ${Math.round(age)} s old and this rule accepts approvals only within ${maxAgeSeconds} s of one; sign in again (the console asks for a fresh login) and approve`;
  return null;
}
