import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { isAdmin } from '../../core';
import { createToken, findToken, listTokens, revokeToken, TokenExpiryError, tokenExpiry } from '../../identity';
import type { ApiServices } from '../app';
import { ApiError, authenticatedErrors, bodyErrors, ErrorCode, forbidden } from '../errors';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const TokenSchema = Type.Object({
  id: Type.String(),
  principal: Type.String(),
  label: Nullable(Type.String()),
  createdAt: Type.String(),
  createdBy: Nullable(Type.String()),
  lastUsedAt: Nullable(Type.String()),
  expiresAt: Nullable(Type.String({ description: 'null: the token does not expire' })),
  revokedAt: Nullable(Type.String()),
});

const tags = ['tokens'];
const security = [{ bearer: [] }];

/** Interlock's own API tokens, for admins: list, create (the secret shown once), revoke (at once, on every route). */
export async function tokenRoutes(app: FastifyInstance, { services, onRevoked }: { services: ApiServices; onRevoked?: (tokenId: string) => void }) {
  app.addHook('onRequest', app.requireToken);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.addHook('onRequest', async (req) => {
    if (!isAdmin(req.principal)) throw forbidden(`${req.principal.id} is not an admin; tokens are managed by the admins group`);
  });

  r.get('/v1/tokens', {
    schema: { tags, security, summary: 'Every API token, newest first, without secrets (admins)', response: { 200: Type.Object({ items: Type.Array(TokenSchema) }), ...authenticatedErrors(403) } },
  }, async () => ({ items: await listTokens(services.database.db) }));

  r.post('/v1/tokens', {
    schema: {
      tags, security, summary: 'Create an API token for a principal (admins); the token is in this response only',
      body: Type.Object({
        principal: Type.String({ minLength: 1, maxLength: 320 }),
        expires: Type.Optional(Type.String({ maxLength: 20, description: 'a duration from now: 30d, 12h, 90m; absent: no expiry' })),
        label: Type.Optional(Type.String({ maxLength: 200 })),
      }, { additionalProperties: false }),
      response: { 201: Type.Object({ ...TokenSchema.properties, token: Type.String() }), ...bodyErrors(403, 422) },
    },
  }, async (req, reply) => {
    const principal = services.principals.current().get(req.body.principal);
    if (!principal) throw new ApiError(422, ErrorCode.unknownPrincipal, `no principal "${req.body.principal}" in principals.yaml; add it there first`, [{ field: 'principal', message: 'not in principals.yaml' }]);
    let expiresAt: Date | null = null;
    try {
      if (req.body.expires !== undefined) expiresAt = tokenExpiry(req.body.expires);
    } catch (err) {
      if (err instanceof TokenExpiryError) throw new ApiError(422, ErrorCode.unprocessable, err.message, [{ field: 'expires', message: err.message }]);
      throw err;
    }
    const { token, record } = await createToken(services.database.db, principal.id, { label: req.body.label, expiresAt, createdBy: req.principal.id, audit: services.audit });
    return reply.code(201).send({ ...record, token });
  });

  r.delete('/v1/tokens/:id', {
    schema: {
      tags, security, summary: 'Revoke an API token (admins); requests with it are refused from now on',
      params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
      response: { 200: TokenSchema, ...authenticatedErrors(403, 404, 409) },
    },
  }, async (req) => {
    const revoked = await revokeToken(services.database.db, req.params.id, { audit: services.audit, revokedBy: req.principal.id });
    if (revoked) {
      onRevoked?.(revoked.id); // this process at once; the others hear the NOTIFY
      return revoked;
    }
    const known = await findToken(services.database.db, req.params.id);
    if (!known) throw new ApiError(404, ErrorCode.notFound, `no token ${req.params.id}; GET /v1/tokens lists them`);
    throw new ApiError(409, ErrorCode.conflict, `token ${req.params.id} was already revoked at ${known.revokedAt}`);
  });
}
