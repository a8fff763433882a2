/** What is wrong with one header of a submission's `execute.headers`. */
export interface HeaderProblem {
  field: string;
  message: string;
  /** True when the header looks like a credential, which must be configured on the server instead. */
  credential: boolean;
}

/** Names that carry credentials: whole names, and the `-token`/`-secret` suffixes, any case. */
const CREDENTIAL_NAME = /^(authorization|proxy-authorization|cookie|x-api-key|api-key)$|-(token|secret)$/i;
/** Headers Interlock sets itself on every request; a submission may not replace or double them. */
const INTERLOCK_SETS = /^(idempotency-key|webhook-.*|content-type|content-length|host|user-agent|transfer-encoding|connection)$/i;
/** RFC 9110 token characters: anything else is not a header name. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const LINE_BREAK_OR_NUL = /[\r\n\0]/;

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
    } else if (CREDENTIAL_NAME.test(name)) {
      problems.push({ field, credential: true, message: `${name} looks like a credential; a submission is stored for ever and shown to approvers, so credentials are configured on the server, never sent in execute.headers` });
    } else if (INTERLOCK_SETS.test(name)) {
      problems.push({ field, credential: false, message: `${name} is set by Interlock on every request (signature, idempotency, body type); remove it from execute.headers` });
    } else if (LINE_BREAK_OR_NUL.test(value)) {
      problems.push({ field, credential: false, message: `the value of ${name} contains a line break or NUL, which would split the request` });
    }
  }
  return problems;
}
