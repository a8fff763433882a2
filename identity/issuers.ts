import { ReservedGroup, type PrincipalKind } from '../domain/principal';

/**
 * One identity provider whose tokens the API accepts (principals.yaml `issuers:`): how a verified token's claims
 * become a principal. Parsed once per reload of the file; the verifier (identity/oidc.ts) reads it.
 */
export interface IssuerConfig {
  issuer: string;
  audience: string;
  /** Template over the token's claims, `svc:gh-{repository}` or `{email}`. */
  principal: string;
  kind: PrincipalKind;
  /** Claim values a token must carry to be accepted at all. */
  claims: Record<string, string>;
  /** Fixed groups every principal of this issuer has (never admins or auditors). */
  groups: string[];
  groupsClaim: string | undefined;
  /** People issuer: an onBehalfOf e-mail under these domains is a known person. */
  emailDomains: string[];
  /** The console's OAuth client at this issuer (people issuers). */
  clientId: string | undefined;
  /** Signature algorithms accepted; never `none` or a shared-secret one. */
  algorithms: string[];
  /** Where in principals.yaml, for messages. */
  at: string;
}

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const DEFAULT_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
const FIELDS = ['issuer', 'audience', 'principal', 'kind', 'claims', 'groups', 'groups_claim', 'email_domains', 'client_id', 'algorithms'];
const RESERVED: string[] = Object.values(ReservedGroup);

/** Reads one `issuers:` entry; `fail` builds the error naming its line. */
export function parseIssuer(raw: unknown, at: string, fail: (msg: string) => Error): IssuerConfig {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw fail('expected {issuer, audience, principal, kind}');
  const r = raw as Record<string, unknown>;
  const unknown = Object.keys(r).filter((k) => !FIELDS.includes(k));
  if (unknown.length) throw fail(`unknown field "${unknown[0]}" (allowed: ${FIELDS.join(', ')})`);
  const text = (field: string, required: boolean): string | undefined => {
    const v = r[field];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v.trim() === '') throw fail(`"${field}" must be a non-empty string`);
    return v.trim();
  };
  const list = (field: string): string[] => {
    const v = r[field] ?? [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.trim() === '')) throw fail(`"${field}" must be a list of names`);
    return v.map((x: string) => x.trim());
  };
  const issuer = text('issuer', true)!;
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw fail(`"issuer" ${JSON.stringify(issuer)} is not a URL`);
  }
  // Keys are fetched from the issuer: over plain HTTP anyone on the path could hand us their own.
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw fail(`"issuer" ${issuer} must be https (http only on loopback, for development)`);
  const principal = text('principal', true)!;
  if (!/\{[A-Za-z0-9_.:-]+\}/.test(principal)) throw fail(`"principal" ${JSON.stringify(principal)} names no claim; write it as a template such as "{email}" or "svc:gh-{repository}"`);
  const kind = r.kind;
  if (kind !== 'human' && kind !== 'service') throw fail(`"kind" must be human or service, got ${JSON.stringify(kind)}`);
  const claims = r.claims ?? {};
  if (typeof claims !== 'object' || Array.isArray(claims) || Object.values(claims as object).some((v) => typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')) {
    throw fail('"claims" must map claim names to the exact values a token must carry');
  }
  const groups = list('groups');
  const reserved = groups.find((g) => RESERVED.includes(g));
  if (reserved) throw fail(`"groups" must not contain ${reserved}: the reserved groups come from principals.yaml's principals only, never from a token`);
  const algorithms = r.algorithms === undefined ? DEFAULT_ALGORITHMS : list('algorithms');
  const bad = algorithms.find((a) => !ASYMMETRIC.includes(a));
  if (bad) throw fail(`"algorithms" may not contain ${bad} (allowed: ${ASYMMETRIC.join(', ')})`);
  return {
    issuer,
    audience: text('audience', true)!,
    principal,
    kind,
    claims: Object.fromEntries(Object.entries(claims as object).map(([k, v]) => [k, String(v)])),
    groups,
    groupsClaim: text('groups_claim', false),
    emailDomains: list('email_domains').map((d) => d.toLowerCase().replace(/^@/, '')),
    clientId: text('client_id', false),
    algorithms,
    at,
  };
}

/** Whether `email` lies under one of the people issuers' `email_domains`. */
export function underEmailDomains(issuers: IssuerConfig[], email: string): boolean {
  const m = /^[^@\s]+@([^@\s]+)$/.exec(email.trim());
  if (!m) return false;
  const domain = m[1].toLowerCase();
  return issuers.some((i) => i.kind === 'human' && i.emailDomains.includes(domain));
}
