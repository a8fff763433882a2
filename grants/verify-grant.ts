import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { paramsHash, type GrantClaims } from './claims';

/** Why a grant was refused, as the contract names it. */
export type GrantRefusal = 'grant_invalid' | 'grant_expired' | 'grant_params_mismatch';

/** Thrown when a grant does not hold: `code` says why (forged or altered, expired, for other parameters or another action). */
export class GrantVerificationError extends Error {
  override readonly name = 'GrantVerificationError';
  constructor(readonly code: GrantRefusal, message: string, readonly claims: GrantClaims | null = null) {
    super(message);
  }
}

export interface GrantExpectation {
  /** The Interlock public URL (`iss`): a grant from another deployment is refused. Left out, `iss` is not checked. */
  issuer?: string;
  /** When given, the grant must be for exactly these params (the same canonical hash). */
  params?: Record<string, unknown>;
  /** When given, the grant must be for this action name (`act`), resource (`res`), environment (`env`) or action id (`sub`). */
  action?: string;
  resource?: string;
  environment?: string;
  actionId?: string;
}

const REQUIRED = ['iss', 'sub', 'jti', 'iat', 'exp', 'act', 'res', 'env', 'ph'];

/**
 * Checks a grant against a key set: an EdDSA signature by one of the keys (no other algorithm, `none` included),
 * our issuer, not expired, every claim present, and what the caller expects. Returns the claims.
 */
export async function checkGrant(token: string, keys: JWTVerifyGetKey, expect: GrantExpectation): Promise<GrantClaims> {
  let claims: GrantClaims;
  try {
    const verified = await jwtVerify(token, keys, { algorithms: ['EdDSA'], ...(expect.issuer === undefined ? {} : { issuer: expect.issuer }), requiredClaims: REQUIRED });
    claims = verified.payload as unknown as GrantClaims;
  } catch (err) {
    // jose checks the signature before the claims: an expired grant here is one we (or a key we publish) signed.
    // The key set could not be had (Interlock unreachable): not a verdict on the grant.
    if (!(err instanceof errors.JOSEError) || err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) throw err;
    if (err instanceof errors.JWTExpired) throw new GrantVerificationError('grant_expired', `the grant expired at ${new Date(Number(err.payload.exp) * 1000).toISOString()}`, err.payload as unknown as GrantClaims);
    throw new GrantVerificationError('grant_invalid', `the grant is not valid: ${reasonOf(err)}`);
  }
  for (const k of ['sub', 'jti', 'act', 'res', 'env', 'ph'] as const) {
    if (typeof claims[k] !== 'string') throw new GrantVerificationError('grant_invalid', `the grant is not valid: claim ${k} is not a string`);
  }
  const mismatch = ([['action', 'act'], ['resource', 'res'], ['environment', 'env'], ['actionId', 'sub']] as const).find(([want, claim]) => expect[want] !== undefined && expect[want] !== claims[claim]);
  if (mismatch) throw new GrantVerificationError('grant_invalid', `the grant is for ${mismatch[1]} ${JSON.stringify(claims[mismatch[1]])}, not ${JSON.stringify(expect[mismatch[0]])}`, claims);
  if (expect.params !== undefined && paramsHash(expect.params) !== claims.ph) {
    throw new GrantVerificationError('grant_params_mismatch', 'the grant was approved for other parameters (its ph differs from the hash of these params)', claims);
  }
  return claims;
}

function reasonOf(err: unknown): string {
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'its signature does not verify (forged or altered)';
  if (err instanceof errors.JWKSNoMatchingKey) return 'no published key has its kid';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'its algorithm is not EdDSA';
  if (err instanceof errors.JWTClaimValidationFailed) return `claim ${err.claim} ${err.reason === 'missing' ? 'is missing' : 'is wrong'}`;
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'it is not a well-formed compact JWS';
  return (err as Error).message;
}

const remoteSets = new Map<string, JWTVerifyGetKey>();

/**
 * For a target: checks a grant offline against Interlock's published keys (fetched once from `jwksUrl`, then
 * cached, refetched for an unknown `kid`). Throws GrantVerificationError; returns the claims.
 *
 *     import { verifyGrant } from 'interlock/grants/verify-grant';
 *     const claims = await verifyGrant(token, { jwksUrl: 'https://interlock.example.com/.well-known/jwks.json', issuer: 'https://interlock.example.com', params });
 *     // claims.sub is the action id, claims.act the approved action
 *
 * Offline, a target learns that the grant was issued and what for, not whether it was already redeemed: that is
 * `POST /v1/grants/redeem`, which the requester calls once; a target that must refuse a second use remembers `jti` until `exp`.
 */
export async function verifyGrant(token: string, opts: GrantExpectation & { issuer: string; jwksUrl?: string; jwks?: JSONWebKeySet }): Promise<GrantClaims> {
  let keys: JWTVerifyGetKey;
  if (opts.jwks) keys = createLocalJWKSet(opts.jwks);
  else if (opts.jwksUrl) {
    keys = remoteSets.get(opts.jwksUrl) ?? createRemoteJWKSet(new URL(opts.jwksUrl));
    remoteSets.set(opts.jwksUrl, keys);
  } else throw new TypeError('verifyGrant needs jwksUrl (or a jwks key set)');
  return checkGrant(token, keys, opts);
}
