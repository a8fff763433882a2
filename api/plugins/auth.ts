import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Principal } from '../../domain/principal';
import { OidcRefusal, OidcTokenError, OidcVerifier, type PrincipalsStore } from '../../identity';
import { ApiError, ErrorCode } from '../errors';
import { createAddressBudget } from '../limits/address-budget';

/** The principal id a bearer token belongs to, or null for an unknown or revoked token. */
export type TokenLookup = (token: string) => Promise<string | null>;

type Hook = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** How the caller proved who it is: an Interlock token, or an IdP token (with when the person signed in there). */
export interface Authentication {
  method: 'token' | 'oidc';
  issuer: string | null;
  /** ISO time of the IdP sign-in (`auth_time`), when known; step-up rules need a recent one. */
  authTime: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
    authentication: Authentication;
  }
  interface FastifyInstance {
    /** onRequest hook of a route group behind a token: the token's principal becomes `req.principal`. */
    requireToken: Hook;
    /** onRequest hook of an open route group (docs, Slack with its own signature check): spends the address's budget. */
    openAccess: Hook;
  }
  interface FastifyContextConfig {
    /**
     * Health probes and the metrics scrape: open and never rate limited. A refused liveness probe restarts a healthy
     * process, a refused readiness probe takes it out of service, so a flood would become an outage; and a scraper
     * polls /metrics from one address all day.
     */
    probe?: boolean;
    /**
     * Requests that carry their own signature (Slack's): checked cheaply by it and never charged to the address's
     * budget, so junk sent elsewhere from a shared address (a proxy, a NAT) cannot starve approvers' clicks.
     */
    signed?: boolean;
  }
}

/**
 * The token's principal IS the caller; nothing in a request body can name another. This plugin only provides the
 * two hooks: each route group declares which one it uses (fastify/demo's autohooks habit), so no list of URL
 * exceptions decides what is open.
 */
async function auth(app: FastifyInstance, { principals, lookup, anonPerMinute, oidc }: { principals: PrincipalsStore; lookup: TokenLookup; anonPerMinute: number; oidc?: OidcVerifier }) {
  app.decorateRequest('principal', null as unknown as Principal);
  app.decorateRequest('authentication', null as unknown as Authentication);
  const anonymous = createAddressBudget(app, anonPerMinute);

  // Every request that ends without a principal spends its address's budget: no token, a bad token, an open route.
  app.decorate('openAccess', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.routeOptions.config?.probe || req.routeOptions.config?.signed) return;
    await anonymous.spend(req, reply);
  });

  app.decorate('requireToken', async (req: FastifyRequest, reply: FastifyReply) => {
    const header = req.headers.authorization;
    const token = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (!token) {
      await anonymous.spend(req, reply);
      throw new ApiError(401, ErrorCode.unauthorized, 'send "Authorization: Bearer <token>"; create a token with `npx interlock token create <principal-id>`');
    }
    if (oidc && OidcVerifier.looksLikeJwt(token)) {
      try {
        const who = await oidc.verify(token);
        req.principal = who.principal;
        req.authentication = { method: 'oidc', issuer: who.issuer, authTime: who.authTime };
        return;
      } catch (err) {
        if (!(err instanceof OidcTokenError)) throw err;
        if (err.reason === OidcRefusal.issuerUnavailable) throw new ApiError(503, ErrorCode.unavailable, err.message);
        await anonymous.spend(req, reply);
        throw new ApiError(401, ErrorCode.unauthorized, err.message, [{ field: 'authorization', reason: err.reason, message: err.message }]);
      }
    }
    // A valid token is always looked up and served, even from an address that junk has spent (a proxy, a NAT):
    // only requests that end unauthenticated are charged. A malformed token costs no query (lookup refuses it first).
    const principalId = await lookup(token);
    if (!principalId) {
      await anonymous.spend(req, reply);
      throw new ApiError(401, ErrorCode.unauthorized, 'the bearer token is unknown or revoked');
    }
    const principal = principals.current().get(principalId);
    if (!principal) {
      await anonymous.spend(req, reply);
      throw new ApiError(401, ErrorCode.unauthorized, `the token's principal ${principalId} is no longer in principals.yaml`);
    }
    req.principal = principal;
    req.authentication = { method: 'token', issuer: null, authTime: null };
  });
}

export const authPlugin = fp(auth, { name: 'interlock-auth', dependencies: ['@fastify/rate-limit'] });
