import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { exportAuditEvents, queryAuditEvents, verifyTrail, auditKeys } from '../audit';
import { ActionCore, canRead, InterlockError, isApproverOf, isAuditor, ErrorCode } from '../core';
import { AUDIT_EVENT_TYPES } from '../domain/audit-event';
import { isIdentityOf } from '../domain/identity';
import type { Principal } from '../domain/principal';
import { isTokenLive, liveTokenFor, OidcTokenError, type OidcVerifier } from '../identity';
import type { Services } from '../services';
import { ConsoleLogin, type PendingLogin } from './oidc-login';
import { actionPage, auditPage, loginPage, page, queuePage, type AuditQuery } from './pages';
import { clearSession, csrfToken, csrfValid, LOGIN_COOKIE, LOGIN_FORM_COOKIE, newSession, readSession, readSigned, sessionSecret, writeSession, writeSigned, type ConsoleSession } from './session';

export type ConsoleServices = Pick<Services, 'config' | 'principals' | 'database' | 'log'>;

const STATIC = path.join(import.meta.dirname, 'static');
const ASSETS: Record<string, [string, string]> = {
  'console.css': ['text/css; charset=utf-8', readFileSync(path.join(STATIC, 'console.css'), 'utf8')],
  'console.js': ['text/javascript; charset=utf-8', readFileSync(path.join(STATIC, 'console.js'), 'utf8')],
};

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession: ConsoleSession | null;
  }
}

/** A path inside the console to come back to after sign-in; anything else (another site) is refused. */
const safeReturn = (value: unknown) => (typeof value === 'string' && /^\/console(\/[A-Za-z0-9_\-/]*)?$/.test(value) ? value : '/console');

/** The web console at /console: server-rendered pages, a session cookie, CSRF on every form, a strict CSP. */
export async function consoleRoutes(app: FastifyInstance, { services, actions, oidc }: { services: ConsoleServices; actions: ActionCore; oidc: OidcVerifier }) {
  // Pages for people, not API: kept out of the OpenAPI document (and so out of its clients and fuzzers).
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, hide: true };
  });
  const secret = sessionSecret(services.config.sessionSecret, services.config.dataDir);
  const secure = services.config.publicUrl.startsWith('https:');
  const keys = auditKeys(services.config as Services['config']);
  await app.register(cookie, { secret });
  await app.register(helmet, {
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'"], connectSrc: ["'self'"], formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"] } },
    crossOriginEmbedderPolicy: true,
    strictTransportSecurity: secure,
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));
  app.decorateRequest('consoleSession', null);
  app.addHook('onRequest', app.openAccess);
  app.addHook('onRequest', async (req) => {
    const session = readSession(req);
    if (!session) return;
    const principal = await principalOf(session);
    if (!principal) return;
    req.consoleSession = session;
    req.principal = principal;
  });

  const principalOf = async (s: ConsoleSession): Promise<Principal | null> => {
    if (s.method === 'oidc') return s.principal;
    // A pasted token: revoked or expired, the session ends with it; groups as principals.yaml says now.
    if (!s.tokenId || !(await isTokenLive(services.database.db, s.tokenId))) return null;
    return services.principals.current().get(s.principal.id) ?? null;
  };
  const peopleIssuer = () => services.principals.current().issuers.find((i) => i.kind === 'human' && i.clientId);
  let login: { key: string; flow: ConsoleLogin } | null = null;
  const loginFlow = () => {
    const issuer = peopleIssuer();
    if (!issuer) return null;
    const key = `${issuer.issuer} ${issuer.clientId}`;
    if (login?.key !== key) login = { key, flow: new ConsoleLogin(issuer, services.config.oidcClientSecret, `${services.config.publicUrl}/console/callback`) };
    return login.flow;
  };
  const frame = (req: FastifyRequest, title: string, notice?: string | null) => ({
    title, notice,
    who: req.consoleSession ? { id: req.principal.id, auditor: isAuditor(req.principal) } : null,
    csrf: req.consoleSession ? csrfToken(secret, req.consoleSession) : null,
  });
  const html = (reply: FastifyReply, body: string, status = 200) => reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
  const needSession = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!req.consoleSession) return reply.redirect(`/console/login?return=${encodeURIComponent(safeReturn(req.url.split('?')[0]))}`, 303);
  };
  const needCsrf = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!req.consoleSession) return reply.redirect('/console/login', 303);
    if (!csrfValid(secret, req.consoleSession, (req.body as Record<string, unknown> | undefined)?.csrf)) {
      return html(reply, page(frame(req, 'Refused'), '<p role="alert">This form has expired or did not come from the console. Go back, reload the page and try again.</p>'), 403);
    }
  };

  app.get('/console/static/:file', async (req, reply) => {
    const asset = ASSETS[(req.params as { file: string }).file];
    if (!asset) return reply.code(404).type('text/plain').send('not found');
    return reply.type(asset[0]).header('cache-control', 'no-cache').send(asset[1]);
  });

  // The token form is a form too: a pre-session cookie binds its CSRF token, so another site cannot sign a
  // person's browser in as someone else (login CSRF).
  const loginForm = (reply: FastifyReply): string => {
    const form = { sid: randomBytes(18).toString('base64url'), at: Date.now() };
    writeSigned(reply, LOGIN_FORM_COOKIE, form, secure, 3600);
    return csrfToken(secret, form);
  };

  app.get('/console/login', async (req, reply) => {
    const q = req.query as { return?: string; error?: string };
    return html(reply, page(frame(req, 'Sign in'), loginPage({ oidc: !!peopleIssuer(), returnTo: safeReturn(q.return), csrf: loginForm(reply), error: q.error ? 'Sign-in failed: ' + q.error.slice(0, 200) : null })));
  });

  app.post('/console/login', async (req, reply) => {
    const body = (req.body ?? {}) as { token?: string; return?: string; csrf?: string };
    const form = readSigned<{ sid: string; at: number }>(req, LOGIN_FORM_COOKIE, (f) => typeof f.sid === 'string' && typeof f.at === 'number' && Date.now() - f.at < 3_600_000);
    if (!form || !csrfValid(secret, form, body.csrf)) {
      return html(reply, page(frame(req, 'Sign in'), loginPage({ oidc: false, returnTo: safeReturn(body.return), csrf: loginForm(reply), error: 'This sign-in form was not opened here or has expired; sign in again.' })), 403);
    }
    reply.clearCookie(LOGIN_FORM_COOKIE, { path: '/console' });
    const record = typeof body.token === 'string' ? await liveTokenFor(services.database.db, body.token.trim()) : null;
    const principal = record ? services.principals.current().get(record.principal) : undefined;
    if (!record || !principal) return html(reply, page(frame(req, 'Sign in'), loginPage({ oidc: false, returnTo: safeReturn(body.return), csrf: loginForm(reply), error: 'That token is unknown, revoked or expired.' })), 401);
    writeSession(reply, newSession({ principal, method: 'token', tokenId: record.id, authTime: null }), secure);
    return reply.redirect(safeReturn(body.return), 303);
  });

  app.get('/console/login/oidc', async (req, reply) => {
    const flow = loginFlow();
    if (!flow) return reply.redirect('/console/login', 303);
    const q = req.query as { return?: string; max_age?: string };
    const maxAge = q.max_age && /^\d{1,7}$/.test(q.max_age) ? Number(q.max_age) : null;
    const { url, pending } = await flow.start(safeReturn(q.return), maxAge);
    writeSigned(reply, LOGIN_COOKIE, pending, secure, 600);
    return reply.redirect(url, 303);
  });

  app.get('/console/callback', async (req, reply) => {
    const flow = loginFlow();
    const pending = readSigned<PendingLogin>(req, LOGIN_COOKIE, (p) => typeof p.state === 'string' && Date.now() - p.at < 600_000);
    if (!flow || !pending) return reply.redirect('/console/login?error=the+sign-in+took+too+long+or+was+not+started+here', 303);
    reply.clearCookie(LOGIN_COOKIE, { path: '/console' });
    try {
      const idToken = await flow.finish(new URL(req.url, services.config.publicUrl), pending);
      const who = await oidc.verify(idToken);
      writeSession(reply, newSession({ principal: who.principal, method: 'oidc', tokenId: null, authTime: who.authTime }), secure);
      return reply.redirect(pending.returnTo, 303);
    } catch (err) {
      const why = err instanceof OidcTokenError ? err.message : 'the identity provider did not confirm the sign-in';
      services.log.warn({ err: (err as Error).message }, 'console sign-in failed');
      return reply.redirect(`/console/login?error=${encodeURIComponent(why)}`, 303);
    }
  });

  app.post('/console/logout', { preHandler: needCsrf }, async (_req, reply) => {
    clearSession(reply, secure);
    return reply.redirect('/console/login', 303);
  });

  app.get('/console', { preHandler: needSession }, async (req, reply) => {
    const me = req.principal;
    const { items } = await actions.list(me, { status: 'pending_approval', limit: 200 });
    const mine = items.filter((a) => isApproverOf(me, a) && !isIdentityOf(me, a.requester) && !isIdentityOf(me, a.onBehalfOf) && !a.approvals.some((v) => isIdentityOf(me, v.principal)));
    return html(reply, page(frame(req, 'My pending approvals'), queuePage(mine)));
  });

  app.get('/console/actions/:id', { preHandler: needSession }, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    const q = req.query as { notice?: string };
    const action = await readable(req.principal, id);
    if (!action) return html(reply, page(frame(req, 'Not found'), `<p>No action ${id.replace(/[^A-Za-z0-9_]/g, '')} that you may read.</p>`), 404);
    const events = await actions.actionAudit(req.principal, id);
    const csrf = csrfToken(secret, req.consoleSession!);
    const stale = stepUpNeeded(action.decision?.stepUp?.maxAgeSeconds, req.consoleSession!);
    const blocked = voteBlocked(req.principal, action);
    const stepUpLink = !blocked && stale && peopleIssuer() ? `/console/login/oidc?return=${encodeURIComponent(`/console/actions/${id}`)}&max_age=${action.decision!.stepUp!.maxAgeSeconds}` : null;
    const notice = q.notice ? q.notice.slice(0, 300) : null;
    return html(reply, page(frame(req, `${action.action} on ${action.resource}`, notice), actionPage(action, events, { csrf, blocked: blocked ?? (stale && !stepUpLink ? 'This rule needs a recent sign-in to the identity provider, which this console is not configured for.' : null), stepUpLink })));
  });

  app.get('/console/actions/:id/live', { preHandler: needSession }, async (req, reply) => {
    const action = await readable(req.principal, (req.params as { id: string }).id);
    if (!action) return reply.code(404).send({ error: 'not found' });
    return reply.header('cache-control', 'no-store').send({ status: action.status, updatedAt: action.updatedAt });
  });

  app.post('/console/actions/:id/decisions', { preHandler: needCsrf }, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    const body = req.body as { decision?: string; comment?: string };
    const back = (notice: string) => reply.redirect(`/console/actions/${encodeURIComponent(id)}?notice=${encodeURIComponent(notice)}`, 303);
    // As on the action's page: someone who may not read it learns nothing (the workflow's refusal names its status and approvers).
    if (!(await readable(req.principal, id))) return html(reply, page(frame(req, 'Not found'), `<p>No action ${id.replace(/[^A-Za-z0-9_]/g, '')} that you may read.</p>`), 404);
    if (body.decision !== 'approve' && body.decision !== 'deny') return back('Choose Approve or Deny.');
    const comment = typeof body.comment === 'string' && body.comment.trim() ? body.comment.trim().slice(0, 2000) : null;
    try {
      await actions.decide(req.principal, id, body.decision, comment, 'console', req.consoleSession!.authTime);
      return back(body.decision === 'approve' ? 'Your approval is recorded.' : 'Your denial is recorded.');
    } catch (err) {
      if (err instanceof InterlockError && err.code !== ErrorCode.unavailable) return back(`Not counted: ${err.message}`);
      throw err;
    }
  });

  const auditorOnly = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!isAuditor(req.principal)) return html(reply, page(frame(req, 'Not allowed'), '<p>The audit trail is for the auditors and admins groups.</p>'), 403);
  };

  app.get('/console/audit', { preHandler: [needSession, auditorOnly] }, async (req, reply) => {
    const q = pickQuery(req.query as Record<string, unknown>);
    const searched = Object.values(q).some(Boolean);
    const bad = (['from', 'to'] as const).find((k) => q[k] && Number.isNaN(Date.parse(q[k]!)));
    if (bad) return html(reply, page(frame(req, 'Audit trail', `"${bad}" is not a date-time; write e.g. 2026-11-01T00:00:00Z`), auditPage(q, AUDIT_EVENT_TYPES, null, null, csrfToken(secret, req.consoleSession!))), 400);
    const events = searched ? (await queryAuditEvents(services.database.db, { actionId: q.action_id, actor: q.actor, type: q.type, from: q.from && new Date(q.from).toISOString(), to: q.to && new Date(q.to).toISOString(), limit: 500 })).events : null;
    return html(reply, page(frame(req, 'Audit trail'), auditPage(q, AUDIT_EVENT_TYPES, events, null, csrfToken(secret, req.consoleSession!))));
  });

  app.post('/console/audit/verify', { preHandler: [needCsrf, auditorOnly] }, async (req, reply) => {
    const result = await verifyTrail(services.database.db, { verifiers: keys.verifiers });
    return html(reply, page(frame(req, 'Audit trail'), auditPage({}, AUDIT_EVENT_TYPES, null, result, csrfToken(secret, req.consoleSession!))));
  });

  app.get('/console/audit/export', { preHandler: [needSession, auditorOnly] }, async (req, reply) => {
    const q = pickQuery(req.query as Record<string, unknown>);
    let text = '';
    await exportAuditEvents(services.database.db, { from: q.from, to: q.to, format: 'jsonl', write: (chunk) => void (text += chunk) });
    return reply.type('application/x-ndjson').header('content-disposition', 'attachment; filename="interlock-evidence.jsonl"').header('cache-control', 'no-store').send(text);
  });

  async function readable(who: Principal, id: string) {
    if (!/^act_[0-9A-Za-z]{1,40}$/.test(id)) return null;
    const action = await actions.find(id);
    return action && canRead(who, action) ? actions.get(who, id) : null;
  }
}

const TYPES = new Set<string>(AUDIT_EVENT_TYPES);
function pickQuery(raw: Record<string, unknown>): AuditQuery {
  const s = (k: string) => (typeof raw[k] === 'string' && raw[k] ? String(raw[k]).slice(0, 320) : undefined);
  const type = s('type');
  return { action_id: s('action_id'), actor: s('actor'), type: type && TYPES.has(type) ? type : undefined, from: s('from'), to: s('to') };
}

/** Whether this session's sign-in is too old (or not an IdP one) for a rule with `step_up.max_age`. */
function stepUpNeeded(maxAgeSeconds: number | undefined, session: ConsoleSession): boolean {
  if (!maxAgeSeconds) return false;
  if (!session.authTime) return true;
  return (Date.now() - Date.parse(session.authTime)) / 1000 > maxAgeSeconds;
}

/** Why this person sees no vote form (null: they may vote). The workflow's validator still decides. */
function voteBlocked(me: Principal, a: { status: string; requester: string; onBehalfOf: string | null; approvals: { principal: string }[]; decision: unknown }): string | null {
  if (a.status !== 'pending_approval') return `This action is ${a.status}; it takes no more votes.`;
  if (isIdentityOf(me, a.requester)) return 'You asked for this action, so you cannot decide on it.';
  if (isIdentityOf(me, a.onBehalfOf)) return 'This action acts for you, so you cannot decide on it.';
  if (a.approvals.some((v) => isIdentityOf(me, v.principal))) return 'You have voted on this action.';
  if (me.kind === 'service' || !isApproverOf(me, a as never)) return 'You are not among the approvers of this action.';
  return null;
}
