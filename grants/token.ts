import { SignJWT } from 'jose';
import { paramsHash, type GrantClaims } from './claims';
import type { GrantKeys } from './keys';

/** What the workflow recorded when it issued the grant; the token is made from these, never stored. */
export interface GrantFacts {
  jti: string;
  issuedAt: string;
  expiresAt: string;
}

/** The approved action a grant is for. */
export interface GrantSubject {
  id: string;
  action: string;
  resource: string;
  environment: string;
  params: Record<string, unknown>;
}

export function grantClaims(issuer: string, subject: GrantSubject, facts: GrantFacts): GrantClaims {
  return {
    iss: issuer,
    sub: subject.id,
    jti: facts.jti,
    iat: Math.floor(Date.parse(facts.issuedAt) / 1000),
    // Down to the second before: the token never outlives the workflow's window.
    exp: Math.floor(Date.parse(facts.expiresAt) / 1000),
    act: subject.action,
    res: subject.resource,
    env: subject.environment,
    ph: paramsHash(subject.params),
  };
}

/**
 * The grant as a compact JWS, signed with the current key. Ed25519 signatures are deterministic, so the same facts
 * and key give the same token every time: it is made on each read by the requester and kept nowhere.
 */
export function signGrant(keys: GrantKeys, issuer: string, subject: GrantSubject, facts: GrantFacts): Promise<string> {
  return new SignJWT({ ...grantClaims(issuer, subject, facts) }).setProtectedHeader({ alg: 'EdDSA', kid: keys.signing.kid }).sign(keys.signing.privateKey);
}
