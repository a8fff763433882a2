import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../stack/services';

/** Liveness, readiness (Temporal, database, policy) and Prometheus metrics; open without a token. */
export async function healthRoutes(app: FastifyInstance, { services, temporal }: { services: Services; temporal: Client }) {
  const config = { public: true, probe: true };
  app.get('/healthz', { config, schema: { tags: ['health'], summary: 'Liveness' } }, async () => ({ ok: true }));

  app.get('/readyz', { config, schema: { tags: ['health'], summary: 'Readiness: Temporal, database and policy' } }, async (_req, reply) => {
    const check = async (fn: () => Promise<unknown>) => {
      try {
        await fn();
        return { ok: true };
      } catch (err) {
        return { ok: false, error: (err as Error).message };
      }
    };
    const [temporalCheck, database] = await Promise.all([
      check(() => temporal.withDeadline(Date.now() + 2000, () => temporal.workflowService.describeNamespace({ namespace: services.config.temporalNamespace }))),
      check(() => services.database.ping()),
    ]);
    const p = services.policy.status();
    const policy = { ok: p.ok, version: p.version, file: p.file, error: p.lastError };
    const principals = { ok: services.principals.lastError === null, error: services.principals.lastError };
    const ok = temporalCheck.ok && database.ok && policy.ok && principals.ok;
    reply.code(ok ? 200 : 503);
    return { ok, checks: { temporal: temporalCheck, database, policy, principals } };
  });

  app.get('/metrics', { config, schema: { tags: ['health'], summary: 'Prometheus metrics' } }, async (_req, reply) => {
    reply.header('content-type', services.metrics.registry.contentType);
    return services.metrics.registry.metrics();
  });
}
