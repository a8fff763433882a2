import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { canonicalIdentity, isEmailShaped } from '../domain/identity';
import { ReservedGroup, type Principal } from '../domain/principal';
import type { IssuerConfig } from './issuers';
import type { PrincipalDirectory } from './principals';

/** Why a bearer token that looks like a JWT was not accepted; the API answers 401 (503 for `issuer_unavailable`). */
export const OidcRefusal = {
  unknownIssuer: 'unknown_issuer',
  wrongAudience: 'wrong_audience',
  expired: 'expired',
  notYetValid: 'not_yet_valid',
  missingClaim: 'missing_claim',
  invalid: 'invalid_token',
  issuerUnavailable: 'issuer_unavailable',
} as const;
export type OidcRefusal = (typeof OidcRefusal)[keyof typeof OidcRefusal];

/** Thrown by OidcVerifier.verify when a token is refused; `reason` is stable, the message names the claim or setting. */
export class OidcTokenError extends Error {
  override readonly name = 'OidcTokenError';
  constructor(readonly reason: OidcRefusal, message: string) {
    super(message);
  }
}

/** A token's caller: its principal (listed in principals.yaml or made from the claims), and when the person signed in. */
export interface OidcIdentity {
  principal: Principal;
  issuer: string;
  /** `auth_time` of the token as ISO time, when the IdP said it (people tokens); step-up rules read it. */
  authTime: string | null;
}

export interface OidcVerifierOptions {
  /** Seconds of clock difference tolerated on exp/nbf; bounded so an expired token is not usable for long. */
  clockToleranceSeconds?: number;
  /** Least time between two JWKS fetches caused by an unknown `kid` (jose's cooldown); a rotation is followed after it. */
  jwksCooldownMs?: number;
  fetchTimeoutMs?: number;
}

const RESERVED: string[] = Object.values(ReservedGroup);
const trimSlash = (u: string) => u.replace(/\/+$/, '');

/**
 * Verifies IdP tokens against the issuers of principals.yaml: discovery once per issuer, the JWKS cached by jose and
 * fetched again when a token names a key it does not know (a rotation), algorithms pinned per issuer.
 */
export class OidcVerifier {
  private readonly keys = new Map<string, Promise<JWTVerifyGetKey>>();
  private readonly tolerance: number;

  constructor(private readonly directory: () => PrincipalDirectory, private readonly opts: OidcVerifierOptions = {}) {
    this.tolerance = Math.min(opts.clockToleranceSeconds ?? 30, 120);
  }

  /** Whether a bearer token is a JWT this verifier should judge (Interlock's own tokens are not). */
  static looksLikeJwt(token: string): boolean {
    return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token) && token.length < 16_384;
  }

  async verify(token: string): Promise<OidcIdentity> {
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw new OidcTokenError(OidcRefusal.invalid, 'the bearer token is not a readable JWT');
    }
    const iss = typeof unverified.iss === 'string' ? unverified.iss : '';
    const directory = this.directory();
    const candidates = directory.issuers.filter((i) => trimSlash(i.issuer) === trimSlash(iss));
    if (candidates.length === 0) throw new OidcTokenError(OidcRefusal.unknownIssuer, `tokens of issuer ${JSON.stringify(iss)} are not accepted: principals.yaml has no "issuers:" entry for it`);
    const aud = Array.isArray(unverified.aud) ? unverified.aud : unverified.aud ? [unverified.aud] : [];
    const config = candidates.find((c) => aud.includes(c.audience));
    if (!config) throw new OidcTokenError(OidcRefusal.wrongAudience, `the token's audience ${JSON.stringify(aud)} is not ${candidates.map((c) => JSON.stringify(c.audience)).join(' or ')}, the audience principals.yaml expects from ${iss}`);

    const keys = await this.keysOf(config);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, { issuer: iss, audience: config.audience, algorithms: config.algorithms, clockTolerance: this.tolerance, requiredClaims: ['exp'] }));
    } catch (err) {
      throw refusalOf(err, config);
    }
    for (const [claim, value] of Object.entries(config.claims)) {
      const got = payload[claim];
      if ((typeof got !== 'string' && typeof got !== 'number' && typeof got !== 'boolean') || String(got) !== value) {
        throw new OidcTokenError(OidcRefusal.missingClaim, `the token lacks claim ${claim}=${JSON.stringify(value)}, which ${config.at} requires of ${config.issuer}`);
      }
    }
    if (config.kind === 'human' && payload.email_verified === false) throw new OidcTokenError(OidcRefusal.invalid, 'the token says its e-mail is not verified');
    const authTime = typeof payload.auth_time === 'number' ? new Date(payload.auth_time * 1000).toISOString() : null;
    return { principal: principalOf(payload, config, directory), issuer: config.issuer, authTime };
  }

  private keysOf(config: IssuerConfig): Promise<JWTVerifyGetKey> {
    const known = this.keys.get(config.issuer);
    if (known) return known;
    const discovered = this.discover(config);
    this.keys.set(config.issuer, discovered);
    // A failed discovery is not cached: the next request tries again.
    discovered.catch(() => this.keys.delete(config.issuer));
    return discovered;
  }

  private async discover(config: IssuerConfig): Promise<JWTVerifyGetKey> {
    const url = `${trimSlash(config.issuer)}/.well-known/openid-configuration`;
    let doc: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.opts.fetchTimeoutMs ?? 5000), redirect: 'error' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      doc = (await res.json()) as typeof doc;
    } catch (err) {
      throw new OidcTokenError(OidcRefusal.issuerUnavailable, `the discovery document of ${config.issuer} could not be read (${(err as Error).message}); retry later`);
    }
    if (typeof doc.issuer !== 'string' || trimSlash(doc.issuer) !== trimSlash(config.issuer) || typeof doc.jwks_uri !== 'string') {
      throw new OidcTokenError(OidcRefusal.issuerUnavailable, `${url} does not describe issuer ${config.issuer} (its "issuer" or "jwks_uri" is wrong)`);
    }
    return createRemoteJWKSet(new URL(doc.jwks_uri), { cooldownDuration: this.opts.jwksCooldownMs ?? 30_000, cacheMaxAge: 10 * 60_000, timeoutDuration: this.opts.fetchTimeoutMs ?? 5000 });
  }
}

function refusalOf(err: unknown, config: IssuerConfig): OidcTokenError {
  if (err instanceof OidcTokenError) return err;
  if (err instanceof errors.JWTExpired) return new OidcTokenError(OidcRefusal.expired, `the token expired at ${expiry(err.payload)}`);
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return new OidcTokenError(OidcRefusal.notYetValid, `the token is not valid before ${new Date(Number(err.payload.nbf) * 1000).toISOString()}`);
    if (err.claim === 'aud') return new OidcTokenError(OidcRefusal.wrongAudience, `the token's audience is not ${JSON.stringify(config.audience)}`);
    if (err.claim === 'iat') return new OidcTokenError(OidcRefusal.notYetValid, 'the token was issued in the future');
    return new OidcTokenError(OidcRefusal.invalid, `the token's "${err.claim}" claim is refused: ${err.reason}`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return new OidcTokenError(OidcRefusal.invalid, `the token's algorithm is not one of ${config.algorithms.join(', ')} (${config.at})`);
  if (err instanceof errors.JWKSNoMatchingKey) return new OidcTokenError(OidcRefusal.invalid, `the token's key is not among ${config.issuer}'s published keys`);
  if (err instanceof errors.JWSSignatureVerificationFailed) return new OidcTokenError(OidcRefusal.invalid, 'the token signature does not verify');
  if (err instanceof errors.JWKSTimeout || (err instanceof Error && /fetch|network|ECONN/i.test(err.message))) {
    return new OidcTokenError(OidcRefusal.issuerUnavailable, `the keys of ${config.issuer} could not be fetched; retry later`);
  }
  return new OidcTokenError(OidcRefusal.invalid, `the token is refused (${(err as Error).message})`);
}

const expiry = (p: JWTPayload) => (typeof p.exp === 'number' ? new Date(p.exp * 1000).toISOString() : 'an unknown time');

/** The principal a verified token names: its template filled from the claims; a listed principal keeps its own groups. */
function principalOf(payload: JWTPayload, config: IssuerConfig, directory: PrincipalDirectory): Principal {
  const id = canonicalIdentity(
    config.principal.replace(/\{([A-Za-z0-9_.:-]+)\}/g, (_m, claim: string) => {
      const v = payload[claim];
      if ((typeof v !== 'string' && typeof v !== 'number') || String(v).trim() === '' || /[\s\p{Cc}\p{Cf}{}]/u.test(String(v))) {
        throw new OidcTokenError(OidcRefusal.missingClaim, `the token has no usable "${claim}" claim, which ${config.at} uses to name the principal`);
      }
      return String(v);
    }),
  );
  const raw = config.groupsClaim ? payload[config.groupsClaim] : undefined;
  const claimed = (Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : []).filter((g): g is string => typeof g === 'string' && g.trim() !== '');
  // admins and auditors come from principals.yaml only: an IdP group of that name grants nothing here.
  const fromToken = [...config.groups, ...claimed].filter((g) => !RESERVED.includes(g));
  // A person listed under another id whose e-mail this is (`alice`, email alice@example.com) is that principal: one
  // person, one identity, so separation of duties and recorded votes never see two.
  const listed = directory.get(id) ?? (isEmailShaped(id) ? directory.byEmail(id) : undefined);
  const groups = [...new Set([...(listed?.groups ?? []), ...fromToken])];
  const email = typeof payload.email === 'string' ? canonicalIdentity(payload.email) : undefined;
  const principal = listed?.id ?? id;
  return { id: principal, kind: listed?.kind ?? config.kind, groups, slack: listed?.slack, email: listed?.email ?? (email && email !== principal ? email : undefined) };
}
