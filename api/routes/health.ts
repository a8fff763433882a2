import { isGrpcServiceError, type Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ApiServices } from '../app';
import { SEARCH_ATTRIBUTE_NAMES } from '../../workflows/search-attributes';
import { publicErrors } from '../errors';

const Check = Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.String()) });
const Readiness = Type.Object({
  ok: Type.Boolean(),
  checks: Type.Object({
    temporal: Check,
    database: Check,
    policy: Type.Object({ ok: Type.Boolean(), serving: Type.Boolean(), version: Type.Union([Type.String(), Type.Null()]), file: Type.String(), error: Type.Union([Type.String(), Type.Null()]) }),
    principals: Type.Object({ ok: Type.Boolean(), error: Type.Union([Type.String(), Type.Null()]) }),
    targets: Type.Object({ ok: Type.Boolean(), version: Type.String(), file: Type.String(), error: Type.Union([Type.String(), Type.Null()]) }),
  }),
  /** Broken edits the process ignores while the last good version serves: ready, but someone must fix the file. */
  warnings: Type.Array(Type.String()),
  /** When not ready (503): the contract's error object, naming what is unusable. */
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String(), details: Type.Array(Type.Object({ field: Type.String(), message: Type.String() })) })),
});

/** gRPC status codes (grpc/status.proto) of an operator API that this connection may not use. */
const PERMISSION_DENIED = 7;
const UNIMPLEMENTED = 12;

/** How long a namespace found with every search attribute is not asked again. */
const SEARCH_ATTRIBUTES_RECHECK_MS = 60_000;

/**
 * Whether the namespace has the search attributes every action's workflow sets at its start: without them each
 * submission answers 503, so the API is not ready (`npx interlock temporal setup` registers them). Asked through the
 * operator service; a namespace found complete is not asked again for a minute, one found lacking is asked at every
 * probe, so readiness returns as soon as they are registered. A service whose operator API is refused or absent to
 * this connection (an API key without that role) is not held against readiness; a start would still say so.
 */
function searchAttributesCheck(temporal: Client, namespace: string): () => Promise<void> {
  let completeUntil = 0;
  return async () => {
    if (Date.now() < completeUntil) return;
    let existing: Record<string, unknown>;
    try {
      existing = (await temporal.connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
    } catch (err) {
      if (isGrpcServiceError(err) && (err.code === PERMISSION_DENIED || err.code === UNIMPLEMENTED)) {
        completeUntil = Date.now() + SEARCH_ATTRIBUTES_RECHECK_MS;
        return;
      }
      throw err;
    }
    const missing = SEARCH_ATTRIBUTE_NAMES.filter((name) => !(name in existing));
    if (missing.length) throw new Error(`namespace ${namespace} lacks the search attribute(s) ${missing.join(', ')} that every action's workflow sets; an operator registers them with \`npx interlock temporal setup\``);
    completeUntil = Date.now() + SEARCH_ATTRIBUTES_RECHECK_MS;
  };
}

/** Liveness, readiness (Temporal, database, policy) and Prometheus metrics; open without a token. */
export async function healthRoutes(app: FastifyInstance, { services, temporal }: { services: ApiServices; temporal: Client }) {
  const searchAttributes = searchAttributesCheck(temporal, services.config.temporalNamespace);
  app.addHook('onRequest', app.openAccess);
  const config = { probe: true };
  app.get('/healthz', { config, schema: { tags: ['health'], summary: 'Liveness', response: { 200: Type.Object({ ok: Type.Boolean() }), ...publicErrors() } } }, async () => ({ ok: true }));

  app.get('/readyz', {
    config,
    schema: { tags: ['health'], summary: 'Readiness: Temporal, database, policy, principals and targets', response: { 200: Readiness, 503: Readiness, ...publicErrors() } },
  }, async (_req, reply) => {
    const check = async (fn: () => Promise<unknown>) => {
      try {
        await fn();
        return { ok: true };
      } catch (err) {
        return { ok: false, error: (err as Error).message };
      }
    };
    const [temporalCheck, database] = await Promise.all([
      check(() => temporal.withDeadline(Date.now() + 2000, async () => {
        await temporal.workflowService.describeNamespace({ namespace: services.config.temporalNamespace });
        await searchAttributes();
      })),
      check(() => services.database.ping()),
    ]);
    const p = services.policy.status();
    const policy = { ok: p.ok, serving: p.version !== null, version: p.version, file: p.file, error: p.lastError };
    const principals = { ok: services.principals.lastError === null, error: services.principals.lastError };
    const targets = services.targets.status();
    // A broken edit leaves the last good version serving: still ready, so every replica is not pulled at once.
    const warnings = [
      ...(policy.serving && !policy.ok ? [`${policy.error} (the last good policy ${policy.version} is in force)`] : []),
      ...(!principals.ok ? [`${principals.error} (the last good principals are in force)`] : []),
      ...(!targets.ok ? [`${targets.error} (the last good targets ${targets.version} are in force)`] : []),
    ];
    const ok = temporalCheck.ok && database.ok && policy.serving;
    reply.code(ok ? 200 : 503);
    if (!ok) reply.header('retry-after', '5');
    const checks = { temporal: temporalCheck, database, policy, principals, targets };
    if (ok) return { ok, checks, warnings };
    const details = [
      ...(!temporalCheck.ok ? [{ field: 'temporal', message: temporalCheck.error ?? 'unusable' }] : []),
      ...(!database.ok ? [{ field: 'database', message: database.error ?? 'unusable' }] : []),
      ...(!policy.serving ? [{ field: 'policy', message: policy.error ?? `no valid policy was loaded from ${policy.file}` }] : []),
    ];
    const error = { code: 'unavailable', message: `not ready: ${details.map((d) => d.field).join(', ')} unusable`, details };
    return { ok, checks, warnings, error };
  });

  app.get('/metrics', {
    config,
    schema: {
      tags: ['health'], summary: 'Prometheus metrics',
      response: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: Type.String() } } }, ...publicErrors() },
    },
  }, async (_req, reply) => {
    reply.header('content-type', services.metrics.registry.contentType);
    return services.metrics.exposition();
  });
}
