import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { checkGrant, GrantVerificationError } from '../grants';
import { one, parseArgs, rejectUnknown, UsageError } from './args';
import type { CliIo } from './io';
import { paramsFrom } from './submit';

const USAGE = 'usage: interlock grant verify <token> [--issuer URL] [--param k=v ...] [--action A] [--jwks URL]';

/**
 * `interlock grant verify <token>`: checks a grant offline against the keys `${INTERLOCK_URL}/.well-known/jwks.json`
 * publishes (or `--jwks`), prints its claims as JSON and exits 0; exits 1 with one line saying why when it does not hold.
 */
export async function grantCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'verify') throw new UsageError(USAGE);
  const args = parseArgs(rest);
  rejectUnknown(args, ['issuer', 'param', 'action', 'jwks']);
  const token = args.positional[0];
  if (!token || args.positional.length > 1) throw new UsageError(USAGE);
  const base = (io.env.INTERLOCK_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
  const jwksUrl = one(args, 'jwks') ?? `${base}/.well-known/jwks.json`;
  const jwks = await fetchKeys(jwksUrl);
  // The keys are that Interlock's, so what they verify it issued; --issuer (or INTERLOCK_PUBLIC_URL) pins `iss` as well.
  const issuer = one(args, 'issuer') ?? io.env.INTERLOCK_PUBLIC_URL;
  try {
    const claims = await checkGrant(token, createLocalJWKSet(jwks), { issuer, action: one(args, 'action'), ...(args.flags.has('param') ? { params: paramsFrom(args) } : {}) });
    io.out(JSON.stringify(claims, null, 2));
    io.err(`grant valid: action ${claims.sub} (${claims.act} on ${claims.res}), key ${decodeProtectedHeader(token).kid}, expires ${new Date(claims.exp * 1000).toISOString()}`);
    return 0;
  } catch (err) {
    if (!(err instanceof GrantVerificationError)) throw err;
    io.err(`interlock: ${err.code}: ${err.message}`);
    return 1;
  }
}

async function fetchKeys(url: string): Promise<JSONWebKeySet> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new UsageError(`cannot fetch ${url} (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}); is INTERLOCK_URL right?`);
  }
  const body = (await res.json().catch(() => null)) as JSONWebKeySet | null;
  if (!res.ok || !body || !Array.isArray(body.keys)) throw new UsageError(`${url} answered HTTP ${res.status} without a JWK Set`);
  return body;
}
