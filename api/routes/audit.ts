import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { queryAuditEvents, verifyChain } from '../../audit';
import { AUDIT_EVENT_TYPES } from '../../domain/audit-event';
import type { Services } from '../../stack/services';
import { isAuditor } from '../actions/access';
import { errorResponses, forbidden } from '../errors';

export const AuditEventSchema = Type.Object({
  seq: Type.Integer(),
  id: Type.String(),
  actionId: Type.Union([Type.String(), Type.Null()]),
  type: Type.String(),
  actor: Type.String(),
  at: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown()),
  policyVersion: Type.Union([Type.String(), Type.Null()]),
  prevHash: Type.String(),
  hash: Type.String(),
});

const tags = ['audit'];
const security = [{ bearer: [] }];

export async function auditRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.addHook('onRequest', async (req) => {
    if (!isAuditor(req.principal)) throw forbidden(`${req.principal.id} is not an auditor; the audit trail is readable by the auditors and admins groups`);
  });

  r.get('/v1/audit', {
    schema: {
      tags, security, summary: 'Audit events (auditors)',
      querystring: Type.Object({
        action_id: Type.Optional(Type.String({ maxLength: 100 })),
        actor: Type.Optional(Type.String({ maxLength: 320 })),
        type: Type.Optional(Type.Union(AUDIT_EVENT_TYPES.map((t) => Type.Literal(t)))),
        from: Type.Optional(Type.String({ format: 'date-time' })),
        to: Type.Optional(Type.String({ format: 'date-time' })),
        cursor: Type.Optional(Type.Integer({ minimum: 0, description: 'the nextCursor of the previous page' })),
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
      }),
      response: { 200: Type.Object({ items: Type.Array(AuditEventSchema), nextCursor: Type.Union([Type.Integer(), Type.Null()]) }), ...errorResponses(400, 401, 403) },
    },
  }, async (req) => {
    const q = req.query;
    const page = await queryAuditEvents(services.database.db, { actionId: q.action_id, actor: q.actor, type: q.type, from: q.from, to: q.to, afterSeq: q.cursor, limit: q.limit });
    return { items: page.events, nextCursor: page.nextCursor };
  });

  r.get('/v1/audit/verify', {
    schema: {
      tags, security, summary: 'Recompute the hash chain (auditors)',
      response: {
        200: Type.Object({ ok: Type.Boolean(), count: Type.Integer(), head: Type.String(), firstBad: Type.Union([Type.Integer(), Type.Null()]), problem: Type.Union([Type.String(), Type.Null()]), message: Type.String() }),
        ...errorResponses(401, 403),
      },
    },
  }, async () => verifyChain(services.database.db));
}
