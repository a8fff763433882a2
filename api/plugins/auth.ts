import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Principal } from '../../domain/principal';
import { principalForToken } from '../../identity';
import type { Services } from '../../stack/services';
import { ApiError, ErrorCode } from '../errors';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** Routes open without a token: health, metrics, docs, Slack (which has its own signature check). */
    public?: boolean;
  }
}

/** The token's principal IS the caller; nothing in a request body can name another. */
async function auth(app: FastifyInstance, { services }: { services: Services }) {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (req: FastifyRequest) => {
    if (req.routeOptions.config?.public || req.url.startsWith('/docs') || req.url.startsWith('/slack/')) return;
    const header = req.headers.authorization;
    const token = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (!token) throw new ApiError(401, ErrorCode.unauthorized, 'send "Authorization: Bearer <token>"; create a token with `npx interlock token create <principal-id>`');
    const principalId = await principalForToken(services.database.db, token);
    if (!principalId) throw new ApiError(401, ErrorCode.unauthorized, 'the bearer token is unknown or revoked');
    const principal = services.principals.current().get(principalId);
    if (!principal) throw new ApiError(401, ErrorCode.unauthorized, `the token's principal ${principalId} is no longer in principals.yaml`);
    req.principal = principal;
  });
}

export const authPlugin = fp(auth, { name: 'interlock-auth' });
