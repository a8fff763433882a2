import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { auditKeys, queryAuditEvents, verifyTrail } from '../../audit';
import { AUDIT_EVENT_TYPES } from '../../domain/audit-event';
import { isAuditor } from '../../core';
import type { ApiServices } from '../app';
import { ApiError, authenticatedErrors, ErrorCode, forbidden } from '../errors';

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

const CheckpointSchema = Type.Object({ id: Type.Integer(), seq: Type.Integer(), hash: Type.String(), at: Type.String(), keyId: Type.String(), signature: Type.String() });

export const VerificationSchema = Type.Object({
  ok: Type.Boolean(),
  count: Type.Integer({ description: 'events verified from seq 1 before the first problem (all when ok)' }),
  head: Type.String({ description: 'hash of the last verified event' }),
  firstBad: Type.Union([Type.Integer(), Type.Null()], { description: 'seq of the first event (or checkpoint seq) found wrong' }),
  problem: Type.Union([Type.String(), Type.Null()], { description: 'changed, missing, reordered, checkpoint_signature_invalid, checkpoint_mismatch, checkpoint_chain_broken, checkpoint_unverifiable' }),
  message: Type.String(),
  checkpoints: Type.Object({
    verified: Type.Integer(),
    latest: Type.Union([CheckpointSchema, Type.Null()], { description: 'the signed checkpoint the verified chain ends on' }),
    unsignedEvents: Type.Integer({ description: 'verified events after the latest checkpoint' }),
  }),
});

/** The audit route group, behind a token. */
export async function auditRoutes(app: FastifyInstance, { services }: { services: ApiServices }) {
  app.addHook('onRequest', app.requireToken);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const keys = auditKeys(services.config); // a bad key fails start-up, not the first request
  const { databaseUrl } = services.config;
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
        cursor: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'the nextCursor of the previous page' })),
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
      }),
      response: { 200: Type.Object({ items: Type.Array(AuditEventSchema), nextCursor: Type.Union([Type.Integer(), Type.Null()]) }), ...authenticatedErrors(403) },
    },
  }, async (req) => {
    const q = req.query;
    const from = storableInstant(q.from, 'from');
    const to = storableInstant(q.to, 'to');
    const page = await queryAuditEvents(services.database.db, { actionId: q.action_id, actor: q.actor, type: q.type, from, to, afterSeq: q.cursor, limit: q.limit });
    return { items: page.events, nextCursor: page.nextCursor };
  });

  r.get('/v1/audit/verify', {
    schema: {
      tags, security, summary: 'Verify the audit trail (auditors)',
      description: 'Recomputes every event hash from seq 1 and checks every signed checkpoint against the chain and the audit public key.',
      response: { 200: VerificationSchema, ...authenticatedErrors(403) },
    },
  }, async () => verifyTrail(services.database.db, { verifiers: keys.verifiers, parallel: databaseUrl ? { databaseUrl } : undefined }));
}

const FIRST_INSTANT = Date.parse('0001-01-01T00:00:00.000Z');
const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * A query date-time in UTC within years 1 to 9999. RFC 3339 allows year 0, offsets up to 23:59 and leap
 * seconds; Postgres refuses the first two, so the bound is applied here (no event lies outside it anyway).
 */
function storableInstant(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new ApiError(400, ErrorCode.invalidRequest, `${field} is not a date-time this API can read; send e.g. 2026-11-01T00:00:00Z`, [{ field: `querystring.${field}`, message: 'unreadable date-time' }]);
  return new Date(Math.min(Math.max(at, FIRST_INSTANT), LAST_INSTANT)).toISOString();
}
