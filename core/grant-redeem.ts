import { createLocalJWKSet, decodeJwt } from 'jose';
import { ulid } from 'ulid';
import type { Action } from '../domain/action';
import { AuditEventType } from '../domain/audit-event';
import { sameIdentity } from '../domain/identity';
import type { Principal } from '../domain/principal';
import { checkGrant, GrantVerificationError, type GrantClaims, type GrantRefusal } from '../grants';
import type { Services } from '../services';
import { ErrorCode, InterlockError } from './errors';
import { unavailable } from './dependency-errors';

const CODES: Record<GrantRefusal, ErrorCode> = {
  grant_invalid: ErrorCode.grantInvalid,
  grant_expired: ErrorCode.grantExpired,
  grant_params_mismatch: ErrorCode.grantParamsMismatch,
};

const ACTION_ID = /^act_[0-9A-Za-z]{1,64}$/;

export interface RedeemDeps {
  services: Pick<Services, 'config' | 'log' | 'grants' | 'audit'>;
  find(id: string): Promise<Action | null>;
  /** Sends the workflow's `redeemGrant` Update; refusals come back as InterlockErrors. */
  redeem(id: string, input: { principal: string; jti: string; paramsHash: string }): Promise<Action>;
}

/**
 * `POST /v1/grants/redeem`: the signature (EdDSA, one of our keys, our issuer), the expiry and the params hash are
 * checked here; the workflow's validator then takes the grant once, for the requester only. Every refusal is
 * written as `grant.refused` (why, by whom, for which action when the token is ours), never with the token.
 */
export async function redeemGrant(deps: RedeemDeps, caller: Principal, token: string, params: Record<string, unknown>): Promise<Action> {
  const { grants, config } = deps.services;
  let claims: GrantClaims | null = null;
  try {
    try {
      claims = await checkGrant(token, createLocalJWKSet(grants.jwks() as never), { issuer: config.publicUrl, params });
    } catch (err) {
      if (!(err instanceof GrantVerificationError)) throw err;
      claims = err.code === 'grant_invalid' ? null : err.claims; // expired or other params: the token is ours
      throw new InterlockError(CODES[err.code], err.message, [{ field: err.code === 'grant_params_mismatch' ? 'params' : 'grant', message: err.message }]);
    }
    const action = await deps.find(claims.sub);
    const invalid = (why: string) => new InterlockError(ErrorCode.grantInvalid, `the grant is not valid: ${why}`, [{ field: 'grant', message: why }]);
    if (!action || !action.grant) throw invalid(`no gate-mode grant was issued for ${claims.sub}`);
    if (!sameIdentity(action.requester, caller.id)) throw new InterlockError(ErrorCode.notAllowed, `only the requester of ${action.id} may redeem its grant`);
    if (action.grant.jti !== claims.jti || action.action !== claims.act || action.resource !== claims.res || action.environment !== claims.env) throw invalid(`it is not the grant issued for ${action.id}`);
    if (action.grant.redeemedAt) throw new InterlockError(ErrorCode.grantUsed, `the grant of ${action.id} was already redeemed at ${action.grant.redeemedAt}`);
    if (action.result) throw new InterlockError(ErrorCode.grantUsed, `a result was already reported for ${action.id}; its approval is used`);
    return await deps.redeem(action.id, { principal: caller.id, jti: claims.jti, paramsHash: claims.ph });
  } catch (err) {
    // A dependency that is down is not a refusal of the grant: the caller retries.
    if (err instanceof InterlockError && err.code !== ErrorCode.unavailable) await recordRefusal(deps, caller, err, claims, token);
    throw err;
  }
}

async function recordRefusal(deps: RedeemDeps, caller: Principal, err: InterlockError, claims: GrantClaims | null, token: string): Promise<void> {
  // An unverified token's subject is only what its sender wrote: kept apart, and only when it looks like an action id.
  let claimed: unknown = null;
  if (!claims) {
    try {
      claimed = decodeJwt(token).sub;
    } catch {
      /* not even a JWT */
    }
  }
  const data = { reason: err.code, message: err.message, jti: claims?.jti ?? null, claimedActionId: typeof claimed === 'string' && ACTION_ID.test(claimed) ? claimed : null };
  try {
    await deps.services.audit.append([{ id: `grant.refused:${ulid()}`, actionId: claims?.sub ?? null, type: AuditEventType.grantRefused, actor: caller.id, at: new Date().toISOString(), data, policyVersion: null }]);
  } catch (e) {
    deps.services.log.error({ err: String(e), reason: err.code }, 'a refused grant redemption could not be audited');
    throw unavailable('the refusal of this grant could not be written to the audit trail; nothing was redeemed, retry later');
  }
}
