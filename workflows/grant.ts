import { ApplicationFailure, setHandler, uuid4 } from '@temporalio/workflow';
import type { PolicyDecision } from '../domain/decision';
import { sameIdentity } from '../domain/identity';
import type { ActionState, EventSpec } from './action-state';
import { DEFAULT_GRANT_SECONDS, Patch } from './execution';
import { redeemGrantUpdate, Refusal, type GrantClaim } from './messages';
import { includes } from './generation';

const refuse = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

/**
 * At the approval of a gate-mode action: the grant's facts (a fresh jti, when it was issued, when its window
 * closes), in the state and in the `grant.issued` event of the same step, so the approval is never visible
 * without its grant. The token is not made here: the API signs these facts on each read by the requester.
 * Nothing for an executed action, or in a history recorded before grants were signed.
 */
export function issueGrant(a: ActionState, p: PolicyDecision | null): EventSpec[] {
  if (a.input.submission.execute.type !== 'none' || !includes(a, Patch.signedGrant)) return [];
  const issuedAt = a.now();
  const expiresAt = new Date(Date.parse(issuedAt) + (p?.grantSeconds ?? DEFAULT_GRANT_SECONDS) * 1000).toISOString();
  const jti = uuid4();
  a.action.grant = { jti, issuedAt, expiresAt, redeemedAt: null };
  a.action.grantExpiresAt = expiresAt;
  return [{ type: 'grant.issued', actor: 'interlock', data: { jti, issuedAt, expiresAt } }];
}

/**
 * At a gate-mode approval: when a live claim of the requester's came with the vote, the grant is redeemed for it in
 * the same step (`grant.redeemed`, `execution.started`), so the held call runs the moment the vote is recorded,
 * without a redemption of its own. Nothing (the action is plain `approved`) when the claim is absent, someone
 * else's, lapsed, or from a history recorded before claims.
 */
export function redeemForClaim(a: ActionState, claim: GrantClaim | null | undefined): EventSpec[] {
  const grant = a.action.grant;
  if (!claim || !grant || a.input.submission.execute.type !== 'none') return [];
  if (!sameIdentity(claim.principal, a.input.requester.id) || !(Date.parse(claim.until) > Date.now()) || grantWindowClosed(a)) return [];
  // The approved params, as the API hashed them at submission: a claim for any others is no claim.
  if (!a.input.paramsHash || claim.paramsHash !== a.input.paramsHash) return [];
  if (!includes(a, Patch.claimedGrant)) return [];
  const redeemedAt = a.now();
  grant.redeemedAt = redeemedAt;
  grant.claim = claim.claimId;
  a.claimRedeemed = true;
  return [
    { type: 'grant.redeemed', actor: claim.principal, data: { jti: grant.jti, paramsHash: claim.paramsHash, redeemedAt, expiresAt: grant.expiresAt, claim: claim.claimId } },
    { type: 'execution.started', actor: claim.principal, data: { executor: 'none', mode: 'gate', jti: grant.jti } },
  ];
}

/** Whether the grant's window has closed (workflow time). */
export const grantWindowClosed = (a: ActionState): boolean => !!a.action.grant && Date.now() >= Date.parse(a.action.grant.expiresAt);

/**
 * `redeemGrant`: the requester consumes the grant once (the API checked its signature, expiry and params hash).
 * The validator refuses anyone else, another jti, a second redemption and a closed window; the handler marks it
 * redeemed before its first await, so of two redemptions in one task the second meets a used grant.
 */
export function registerGrantHandler(a: ActionState): void {
  const { id, requester } = a.input;
  const state = a.action;
  setHandler(
    redeemGrantUpdate,
    async ({ principal, jti, paramsHash }) => {
      const grant = state.grant!;
      const redeemedAt = a.now();
      grant.redeemedAt = redeemedAt;
      try {
        await a.transition({
          status: 'executing',
          reason: `grant redeemed by ${principal}; the result is due before ${grant.expiresAt}`,
          events: [
            { type: 'grant.redeemed', actor: principal, data: { jti, paramsHash, redeemedAt, expiresAt: grant.expiresAt } },
            { type: 'execution.started', actor: principal, data: { executor: 'none', mode: 'gate', jti } },
          ],
        });
      } catch (err) {
        if (!a.fault) grant.redeemedAt = null; // not in the trail: not redeemed
        throw err;
      }
      return a.snapshot();
    },
    {
      validator: ({ principal, jti }) => {
        const grant = state.grant;
        if (!sameIdentity(principal, requester.id)) throw refuse(Refusal.notAllowed, `only the requester (${requester.id}) redeems the grant of ${id}`);
        if (!grant || grant.jti !== jti) throw refuse(Refusal.grantInvalid, `this grant (jti ${jti}) is not the one issued for ${id}`);
        if (grant.redeemedAt) throw refuse(Refusal.grantUsed, `the grant of ${id} was already redeemed at ${grant.redeemedAt}`);
        if (state.result) throw refuse(Refusal.grantUsed, `a result was already reported for ${id}; its approval is used`);
        if (state.status === 'cancelled') throw refuse(Refusal.actionClosed, `action ${id} was cancelled; its grant can no longer be redeemed`);
        if (state.status !== 'approved' || grantWindowClosed(a)) throw refuse(Refusal.grantExpired, `the grant window of ${id} closed at ${grant.expiresAt}`);
      },
    },
  );
}
