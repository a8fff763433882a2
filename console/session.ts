import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ensurePrivateFile } from '../config/dev-key-file';
import type { Principal } from '../domain/principal';

/** A signed-in person, as the session cookie carries it (signed, HttpOnly, SameSite=Lax; never a token secret). */
export interface ConsoleSession {
  principal: Principal;
  method: 'token' | 'oidc';
  /** The Interlock token the person pasted: its id, checked live on every request, so a revocation ends the session. */
  tokenId: string | null;
  /** ISO time of the IdP sign-in (OIDC only); step-up rules compare it with their max age. */
  authTime: string | null;
  /** Random per session: the CSRF token of every form is an HMAC of it. */
  sid: string;
  expiresAt: number;
}

export const SESSION_COOKIE = 'interlock_session';
export const LOGIN_COOKIE = 'interlock_login';
/** Before a session exists: binds the token sign-in form's CSRF token. */
export const LOGIN_FORM_COOKIE = 'interlock_login_form';
const SESSION_HOURS = 8;

/** INTERLOCK_SESSION_SECRET, else one generated once under the data dir (development), so restarts keep sessions. */
export function sessionSecret(configured: string | undefined, dataDir: string): string {
  if (configured) {
    if (configured.length < 32) throw new Error('INTERLOCK_SESSION_SECRET: must be at least 32 characters');
    return configured;
  }
  // One secret per data dir, made by whichever process starts first (see ensurePrivateFile).
  return ensurePrivateFile(path.join(dataDir, 'session-secret'), () => randomBytes(32).toString('base64url')).contents.trim();
}

export function newSession(fields: Omit<ConsoleSession, 'sid' | 'expiresAt'>): ConsoleSession {
  return { ...fields, sid: randomBytes(18).toString('base64url'), expiresAt: Date.now() + SESSION_HOURS * 3600_000 };
}

const cookieOptions = (secure: boolean) => ({ path: '/console', httpOnly: true, sameSite: 'lax' as const, secure, signed: true });

export function writeSession(reply: FastifyReply, session: ConsoleSession, secure: boolean): void {
  reply.setCookie(SESSION_COOKIE, Buffer.from(JSON.stringify(session)).toString('base64url'), { ...cookieOptions(secure), maxAge: SESSION_HOURS * 3600 });
}

export function clearSession(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(SESSION_COOKIE, cookieOptions(secure));
}

/** The session a request's cookie carries when its signature holds and it has not expired; else null. */
export function readSession(req: FastifyRequest): ConsoleSession | null {
  return readSigned<ConsoleSession>(req, SESSION_COOKIE, (s) => typeof s.sid === 'string' && typeof s.expiresAt === 'number' && s.expiresAt > Date.now() && !!s.principal?.id);
}

/** A signed cookie's JSON value, or null when it is absent, forged or refused by `valid`. */
export function readSigned<T>(req: FastifyRequest, name: string, valid: (v: T) => boolean): T | null {
  const raw = req.cookies[name];
  if (!raw) return null;
  const unsigned = req.unsignCookie(raw);
  if (!unsigned.valid || !unsigned.value) return null;
  try {
    const value = JSON.parse(Buffer.from(unsigned.value, 'base64url').toString('utf8')) as T;
    return valid(value) ? value : null;
  } catch {
    return null;
  }
}

export function writeSigned(reply: FastifyReply, name: string, value: unknown, secure: boolean, maxAgeSeconds: number): void {
  reply.setCookie(name, Buffer.from(JSON.stringify(value)).toString('base64url'), { ...cookieOptions(secure), maxAge: maxAgeSeconds });
}

/** The CSRF token of a session's forms: bound to the session, so another site cannot know it. */
export function csrfToken(secret: string, session: Pick<ConsoleSession, 'sid'>): string {
  return createHmac('sha256', secret).update(`csrf:${session.sid}`).digest('base64url');
}

export function csrfValid(secret: string, session: Pick<ConsoleSession, 'sid'>, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const expected = Buffer.from(csrfToken(secret, session));
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
