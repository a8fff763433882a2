import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Principal } from '../../domain/principal';
import { principalForToken } from '../../identity';
import type { Services } from '../../services';
import { ApiError, ErrorCode } from '../errors';
import { createAddressBudget } from '../limits/address-budget';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** Routes open without a token: health, metrics, docs, Slack (which has its own signature check). */
    public?: boolean;
    /**
     * Health probes and the metrics scrape: open and never rate limited. A refused liveness probe restarts a healthy
     * process, a refused readiness probe takes it out of service, so a flood would become an outage; and a scraper
     * polls /metrics from one address all day.
     */
    probe?: boolean;
  }
}

/** The token's principal IS the caller; nothing in a request body can name another. */
async function auth(app: FastifyInstance, { services }: { services: Services }) {
  app.decorateRequest('principal', null as unknown as Principal);
  const anonymous = createAddressBudget(app, services.config.rateLimitAnonPerMinute);
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.routeOptions.config?.probe) return;
    // Every request that ends without a principal spends its address's budget: no token, a bad token, an open route.
    if (req.routeOptions.config?.public || req.url.startsWith('/docs') || req.url.startsWith('/slack/')) return anonymous.spend(req, reply);
    const header = req.headers.authorization;
    const token = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (!token) {
      await anonymous.spend(req, reply);
      throw new ApiError(401, ErrorCode.unauthorized, 'send "Authorization: Bearer <token>"; create a token with `npx interlock token create <principal-id>`');
    }
    // A spent address's tokens are not looked up at all: otherwise a guessing flood would still be answered, at a database query each.
    await anonymous.refuseIfSpent(req, reply);
    const principalId = await principalForToken(services.database.db, token);
    if (!principalId) {
      await anonymous.spend(req, reply);
      throw new ApiError(401, ErrorCode.unauthorized, 'the bearer token is unknown or revoked');
    }
    const principal = services.principals.current().get(principalId);
    if (!principal) {
      await anonymous.spend(req, reply);
      throw new ApiError(401, ErrorCode.unauthorized, `the token's principal ${principalId} is no longer in principals.yaml`);
    }
    req.principal = principal;
  });
}

export const authPlugin = fp(auth, { name: 'interlock-auth', dependencies: ['@fastify/rate-limit'] });
