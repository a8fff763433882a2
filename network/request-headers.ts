/** What is wrong with one header of a submission's `execute.headers`. */
export interface HeaderProblem {
  field: string;
  message: string;
  /** True when the header looks like a credential, which must be configured on the server instead. */
  credential: boolean;
}

/**
 * Names that carry credentials, any case: the usual whole names; any name holding `api-key`/`api_key`/`apikey`;
 * `auth`, `authorization` or `authentication` as a word of the name (`x-auth`, `x-auth-user`, but not `x-author`);
 * and the `-key`/`-token`/`-secret` suffixes (`ocp-apim-subscription-key`, `x-functions-key`).
 */
const CREDENTIAL_NAME = /^(cookie)$|api[-_]?key|(^|[-_.])(auth|authorization|authentication)($|[-_.])|-(key|token|secret)$/i;
/** A value in an HTTP authentication scheme's form is a credential whatever header carries it (`X-Upstream: Bearer ...`). */
const CREDENTIAL_VALUE = /^\s*(bearer|basic|token|digest)[ \t]/i;
/** Headers Interlock sets itself on every request; a submission may not replace or double them. */
const INTERLOCK_SETS = /^(idempotency-key|webhook-.*|content-type|content-length|host|user-agent|transfer-encoding|connection)$/i;
/** Hop-by-hop and framing headers: the HTTP client (undici) manages them itself and refuses the request that sets them. */
const HOP_BY_HOP = /^(expect|upgrade|keep-alive|te|trailer|proxy-connection)$/i;
/** RFC 9110 token characters: anything else is not a header name. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const LINE_BREAK_OR_NUL = /[\r\n\0]/;
/** Visible ASCII, space and tab: undici refuses other control characters and anything outside Latin-1 (`€`) when sending. */
const SENDABLE_VALUE = /^[\x20-\x7e\t]*$/;

/**
 * Every reason the http executor cannot send these headers as given. Credentials are refused because a
 * submission is stored for ever (audit trail, workflow history) and read by approvers.
 */
export function headerProblems(headers: Record<string, string> | undefined): HeaderProblem[] {
  const problems: HeaderProblem[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    const field = `execute.headers.${name}`;
    if (!HEADER_NAME.test(name)) {
      problems.push({ field, credential: false, message: `"${name.replace(/[\r\n\0]/g, ' ')}" is not a valid header name (letters, digits and !#$%&'*+.^_\`|~- only)` });
    } else if (INTERLOCK_SETS.test(name)) {
      // Before the credential names: `idempotency-key` ends in -key, but the reason to remove it is that Interlock sets it.
      problems.push({ field, credential: false, message: `${name} is set by Interlock on every request (signature, idempotency, body type); remove it from execute.headers` });
    } else if (HOP_BY_HOP.test(name)) {
      problems.push({ field, credential: false, message: `${name} is a hop-by-hop or framing header the HTTP client manages itself and will not send; remove it from execute.headers` });
    } else if (CREDENTIAL_NAME.test(name)) {
      problems.push({ field, credential: true, message: `${name} looks like a credential; a submission is stored for ever and shown to approvers, so credentials belong in server-side configuration, not in the request` });
    } else if (CREDENTIAL_VALUE.test(value)) {
      problems.push({ field, credential: true, message: `the value of ${name} is in an HTTP authentication scheme (Bearer, Basic, Token, Digest); credentials belong in server-side configuration, not in the request` });
    } else if (LINE_BREAK_OR_NUL.test(value)) {
      problems.push({ field, credential: false, message: `the value of ${name} contains a line break or NUL, which would split the request` });
    } else if (!SENDABLE_VALUE.test(value)) {
      problems.push({ field, credential: false, message: `the value of ${name} has characters an HTTP request cannot carry (only visible ASCII, space and tab); the action could never be sent` });
    }
  }
  return problems;
}

/**
 * Why a target (targets.yaml) may not set a header of this name, or null when it may: a target adds credentials
 * and the like, but never a header Interlock sets itself or one the HTTP client manages.
 */
export function reservedHeaderReason(name: string): string | null {
  if (!HEADER_NAME.test(name)) return `"${name}" is not a valid header name (letters, digits and !#$%&'*+.^_\`|~- only)`;
  if (INTERLOCK_SETS.test(name)) return `${name} is set by Interlock on every request (signature, idempotency, body type); a target cannot set it`;
  if (HOP_BY_HOP.test(name)) return `${name} is a hop-by-hop or framing header the HTTP client manages itself`;
  return null;
}
