import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { temporalUiLink } from '../../config';
import type { ActionCore } from '../../core';
import { ActionViewSchema, type Action } from '../../domain/action';
import type { ApiServices } from '../app';
import { bodyErrors, publicErrors } from '../errors';

const Jwk = Type.Object({ kty: Type.Literal('OKP'), crv: Type.Literal('Ed25519'), x: Type.String(), kid: Type.String({ description: 'RFC 7638 thumbprint' }), alg: Type.Literal('EdDSA'), use: Type.Literal('sig') });

/** `POST /v1/grants/redeem`, behind a token: the requester consumes a gate-mode grant once. */
export async function grantRoutes(app: FastifyInstance, { services, actions }: { services: ApiServices; actions: ActionCore }) {
  app.addHook('onRequest', app.requireToken);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const withLinks = (a: Action): Action => ({ ...a, links: { self: `/v1/actions/${a.id}`, temporalUi: temporalUiLink(services.config, a.id) } });

  r.post('/v1/grants/redeem', {
    schema: {
      tags: ['grants'], security: [{ bearer: [] }], summary: 'Gate mode: consume an approved action\'s grant, once, before running it',
      description: 'The requester sends the grant from its Action and the params it will run with. 200: the Action, now `executing` until `POST /v1/actions/{id}/result`. '
        + '401 `grant_invalid` (forged, altered, not EdDSA, unknown key, another issuer, not this action\'s grant); 403 `not_allowed` (not the requester); '
        + '409 `grant_expired`, `grant_params_mismatch`, `grant_used`. Every refusal is audited as `grant.refused`.',
      body: Type.Object({
        grant: Type.String({ minLength: 1, maxLength: 8192, description: 'the compact JWS from the Action\'s `grant.token`' }),
        params: Type.Record(Type.String(), Type.Unknown(), { description: 'the params the operation runs with; their RFC 8785 hash must be the grant\'s `ph`' }),
      }, { additionalProperties: false }),
      response: { 200: ActionViewSchema, ...bodyErrors(403, 409, 422) },
    },
  }, async (req) => withLinks(await actions.redeemGrant(req.principal, req.body.grant, req.body.params)));
}

/** `GET /.well-known/jwks.json`, open: the public keys grants are signed with, for targets to check them offline. */
export async function jwksRoutes(app: FastifyInstance, { services }: { services: ApiServices }) {
  app.addHook('onRequest', app.openAccess);
  app.get('/.well-known/jwks.json', {
    schema: {
      tags: ['grants'], summary: 'The public keys grants are signed with (JWK Set)',
      description: 'The first key signs new grants; keys kept from before a rotation are still listed, so their grants verify until they expire.',
      response: { 200: Type.Object({ keys: Type.Array(Jwk) }), ...publicErrors() },
    },
  }, async (_req, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return services.grants.jwks();
  });
}
