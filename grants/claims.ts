import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { redactSecretParams } from '../domain/secret-params';

/** The claims of a grant (CONTRACT.md "Grants"). */
export interface GrantClaims {
  iss: string;
  /** The action id. */
  sub: string;
  jti: string;
  iat: number;
  exp: number;
  /** The action, resource and environment that were approved. */
  act: string;
  res: string;
  env: string;
  /** `sha256:` hex of the RFC 8785 canonical params as approved. */
  ph: string;
}

/**
 * `sha256:` hex of the RFC 8785 canonical params, as they were approved: Interlock never keeps the value of a
 * secret-looking key (it is `[redacted]` from submission on), so those values are replaced the same way before
 * hashing, here and in every verifier. The binding covers every other value, and which keys there are.
 */
export function paramsHash(params: Record<string, unknown>): string {
  return `sha256:${createHash('sha256').update(canonicalize(redactSecretParams(params)) ?? '').digest('hex')}`;
}
