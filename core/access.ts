import type { Action } from '../domain/action';
import { sameIdentity } from '../domain/identity';
import { ReservedGroup, type Principal } from '../domain/principal';

export const isAdmin = (p: Principal) => p.groups.includes(ReservedGroup.admins);
/** Auditors read everything; admins may do all an auditor may. */
export const isAuditor = (p: Principal) => isAdmin(p) || p.groups.includes(ReservedGroup.auditors);

export function isApproverOf(p: Principal, action: Pick<Action, 'decision'>): boolean {
  const set = action.decision?.approvers;
  if (!set) return false;
  return set.principals.some((id) => sameIdentity(id, p.id)) || p.groups.some((g) => set.groups.includes(g));
}

/**
 * A requester reads its own actions, an approver those it may decide (or did), auditors and admins all.
 * Ids compare as identities, since records may predate canonical ids.
 */
export function canRead(p: Principal, action: Action): boolean {
  return (
    isAuditor(p) ||
    sameIdentity(action.requester, p.id) ||
    sameIdentity(action.onBehalfOf, p.id) ||
    isApproverOf(p, action) ||
    action.approvals.some((v) => sameIdentity(v.principal, p.id))
  );
}
