import type { Action } from '../domain/action';
import { sameIdentity } from '../domain/identity';
import type { Principal } from '../domain/principal';
import { signGrant, type GrantKeys } from '../grants';

/** While a grant can still be used: approved or redeemed (awaiting its result), and inside its window. */
const usable = (a: Action, expiresAt: string) => (a.status === 'approved' || a.status === 'executing') && Date.now() < Date.parse(expiresAt);

/**
 * The Action as `caller` may see it. Everyone who reads it sees that a grant exists, when it expires and whether
 * it was redeemed; the requester alone, while the grant can be used, also gets its token, signed now from the
 * facts the workflow recorded (so it is never stored, logged or kept in history).
 */
export async function withGrantFor(caller: Principal, action: Action, keys: GrantKeys, issuer: string): Promise<Action> {
  const grant = action.grant;
  if (!grant) return action;
  const view: NonNullable<Action['grant']> = { expiresAt: grant.expiresAt, redeemedAt: grant.redeemedAt };
  if (grant.jti && grant.issuedAt && usable(action, grant.expiresAt) && sameIdentity(action.requester, caller.id)) {
    view.token = await signGrant(keys, issuer, action, { jti: grant.jti, issuedAt: grant.issuedAt, expiresAt: grant.expiresAt });
  }
  return { ...action, grant: view };
}
