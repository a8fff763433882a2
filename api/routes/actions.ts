import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { temporalUiLink } from '../../config';
import type { ActionCore } from '../../core';
import { ActionViewSchema as ActionSchema, SubmissionSchema, type Action } from '../../domain/action';
import { ACTION_STATUSES } from '../../domain/status';
import type { ApiServices } from '../app';
import { ApiError, authenticatedErrors, bodyErrors, ErrorCode } from '../errors';
import { admitRequest, type SubmissionAdmission } from '../limits/submission-admission';
import { OPTIONAL_BODY } from '../openapi';
import { AuditEventSchema } from './audit';

// Any printable id is looked up, and one that names no action is 404; control characters (NUL) are malformed, 400.
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]+$', description: 'action id (also the Temporal workflow id), `act_...`' }) });
const tags = ['actions'];
const security = [{ bearer: [] }];

/** The actions route group, behind a token. */
export async function actionRoutes(app: FastifyInstance, { services, actions, admission }: { services: ApiServices; actions: ActionCore; admission: SubmissionAdmission }) {
  app.addHook('onRequest', app.requireToken);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const withLinks = (a: Action): Action => ({ ...a, links: { self: `/v1/actions/${a.id}`, temporalUi: temporalUiLink(services.config, a.id) } });

  r.post('/v1/actions', {
    schema: {
      tags, security, summary: 'Submit an action for policy and approval',
      headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) }),
      body: SubmissionSchema,
      response: { 202: ActionSchema, ...bodyErrors(422) },
    },
  }, async (req, reply) => {
    const admitted = admitRequest(admission, req.principal.id, reply);
    try {
      const { action } = await actions.submit(req.principal, req.body, req.headers['idempotency-key']);
      reply.code(202).header('location', `/v1/actions/${action.id}`);
      return withLinks(action);
    } finally {
      admitted.release();
    }
  });

  r.get('/v1/actions/:id', {
    schema: { tags, security, summary: 'The Action', params: IdParams, response: { 200: ActionSchema, ...authenticatedErrors(403, 404) } },
  }, async (req) => withLinks(await actions.get(req.principal, req.params.id)));

  r.get('/v1/actions/:id/wait', {
    schema: {
      tags, security, summary: 'Long poll until the action is settled or the timeout passes',
      description: 'Settled: a terminal status, or `approved` for a gate-mode action (the caller may now run it).',
      params: IdParams,
      querystring: Type.Object({ timeout: Type.Integer({ minimum: 0, maximum: 300, default: 30 }) }),
      response: { 200: ActionSchema, ...authenticatedErrors(403, 404) },
    },
  }, async (req) => withLinks(await actions.wait(req.principal, req.params.id, req.query.timeout)));

  r.get('/v1/actions', {
    schema: {
      tags, security, summary: 'Actions the caller may read, newest first',
      querystring: Type.Object({
        status: Type.Optional(Type.Union(ACTION_STATUSES.map((s) => Type.Literal(s)))),
        action: Type.Optional(Type.String({ maxLength: 200 })),
        requester: Type.Optional(Type.String({ maxLength: 320 })),
        limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
        cursor: Type.Optional(Type.String({ maxLength: 500 })),
      }),
      response: { 200: Type.Object({ items: Type.Array(ActionSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...authenticatedErrors() },
    },
  }, async (req) => {
    const page = await actions.list(req.principal, req.query as never);
    return { items: page.items.map(withLinks), nextCursor: page.nextCursor };
  });

  r.post('/v1/actions/:id/decisions', {
    schema: {
      tags, security, summary: 'Vote on an action awaiting approval',
      description: '403 for a principal who may not vote (the requester, the onBehalfOf principal, a non-approver); 409 for a second vote or a closed action.',
      params: IdParams,
      body: Type.Object({ decision: Type.Union([Type.Literal('approve'), Type.Literal('deny')]), comment: Type.Optional(Type.String({ maxLength: 4000 })) }, { additionalProperties: false }),
      response: { 200: ActionSchema, ...bodyErrors(403, 404, 409, 422) },
    },
  }, async (req) => {
    // Someone who may not read the action is told only that it may not vote on it (403), nothing of the action.
    await actions.mayVote(req.principal, req.params.id);
    return withLinks(await actions.decide(req.principal, req.params.id, req.body.decision, req.body.comment ?? null, 'api', req.authentication.authTime));
  });

  r.post('/v1/actions/:id/cancel', {
    // The contract allows a bare POST: no body (and no Content-Type) is the same as `{}`.
    preValidation: async (req) => {
      if (req.body === undefined) req.body = {};
    },
    schema: {
      tags, security, summary: 'Cancel a non-terminal action (the requester or an admin)',
      [OPTIONAL_BODY]: true,
      params: IdParams,
      body: Type.Object({ reason: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
      response: { 200: ActionSchema, ...bodyErrors(403, 404, 409, 422) },
    },
  }, async (req) => withLinks(await actions.cancel(req.principal, req.params.id, req.body.reason ?? null)));

  r.post('/v1/actions/:id/result', {
    schema: {
      tags, security, summary: 'Gate mode: report the outcome of the operation the caller ran',
      params: IdParams,
      body: Type.Object({ status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]), output: Type.Optional(Type.Unknown()) }, { additionalProperties: false }),
      response: { 200: ActionSchema, ...bodyErrors(403, 404, 409, 422) },
    },
  }, async (req) => {
    const size = Buffer.byteLength(JSON.stringify(req.body.output ?? null));
    if (size > 64 * 1024) throw new ApiError(422, ErrorCode.unprocessable, `output is ${size} bytes; at most 65536 are kept`, [{ field: 'output', message: 'too large' }]);
    return withLinks(await actions.reportResult(req.principal, req.params.id, req.body.status, req.body.output));
  });

  r.get('/v1/actions/:id/audit', {
    schema: { tags, security, summary: "The action's audit events, in order", params: IdParams, response: { 200: Type.Object({ items: Type.Array(AuditEventSchema) }), ...authenticatedErrors(403, 404) } },
  }, async (req) => ({ items: await actions.actionAudit(req.principal, req.params.id) }));
}

