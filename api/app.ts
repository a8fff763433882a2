import { endHttpSpan, startHttpSpan, traceContext } from '../observability';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import rateLimit from '@fastify/rate-limit';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ActionCore, dependencyUnavailable, InterlockError, RETRY_AFTER_SECONDS } from '../core';
import { EXECUTORS } from '../executors/registry';
import { recordKeyRotation } from '../grants';
import { OidcVerifier, TokenCache } from '../identity';
import type { Services } from '../services';
import { ApiError, ErrorCode, ErrorSchema, fromCore } from './errors';
import { installInputGuards } from './input-guard';
import { withOptionalBodies } from './openapi';
import { authPlugin, type TokenLookup } from './plugins/auth';
import { consoleRoutes } from '../console';
import { actionRoutes } from './routes/actions';
import { auditRoutes } from './routes/audit';
import { grantRoutes, jwksRoutes } from './routes/grants';
import { healthRoutes } from './routes/health';
import { policyRoutes } from './routes/policy';
import { createSubmissionAdmission } from './limits/submission-admission';
import { mcpRoutes } from './routes/mcp';
import { tokenRoutes } from './routes/tokens';
import { validatorCompiler } from './validation';

export interface ApiOptions {
  services: ApiServices;
  temporal: Client;
  /** The use cases; built from services and temporal when absent. A route test passes a fake (test/helper.ts). */
  core?: ActionCore;
  /** Bearer token to principal id; the tokens table when absent. */
  tokens?: TokenLookup;
  /** Mounts more routes (the Slack receiver) inside the same server, in an open route group (they check their own signatures). */
  extend?: (app: FastifyInstance, core: ActionCore) => Promise<void>;
}

/** What the API itself reads of the process's services; its own audit writes are refused grants and key rotations (the rest goes through the workflow). */
export type ApiServices = Pick<Services, 'config' | 'log' | 'metrics' | 'database' | 'policy' | 'principals' | 'targets' | 'grants' | 'audit'>;

/** The REST API v1. One schema per route validates the request, serialises the response and documents it. */
export async function buildApi({ services, temporal, core, tokens, extend }: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: services.log.child({ room: 'api' }, { level: process.env.API_LOG_LEVEL ?? 'warn' }) as FastifyBaseLogger, bodyLimit: 1024 * 1024,
    // On SIGTERM a request already on a kept-alive connection is served (and told to close it), not refused with 503.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // A path that is not valid percent-encoding never reaches a route; it still gets the contract's error body.
    // A path segment longer than the router's limit (100 characters; no id is that long) is the caller's error too.
    frameworkErrors: (err, _req, reply) => {
      const why: Record<string, string> = { FST_ERR_BAD_URL: 'the request path is not valid percent-encoding', FST_ERR_MAX_PARAM_LENGTH: 'a path segment is longer than 100 characters; no id is that long' };
      const status = err.code in why ? 400 : 500;
      void (reply as FastifyReply).code(status).send(new ApiError(status, status === 400 ? ErrorCode.invalidRequest : ErrorCode.internal, why[err.code] ?? 'internal error').body());
    },
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(errorHandler);
  installInputGuards(app);
  const unknownRoute = (req: FastifyRequest, reply: FastifyReply) => reply.code(404).send(new ApiError(404, ErrorCode.notFound, `no route ${req.method} ${req.url.split('?')[0]}`).body());
  app.addSchema(ErrorSchema);
  // One server span per request; the rest of the request (and the workflow it starts) runs inside its context.
  const spans = new WeakMap<FastifyRequest, ReturnType<typeof startHttpSpan>['span']>();
  app.addHook('onRequest', (req, _reply, done) => {
    const { span, ctx } = startHttpSpan(req as never, req.routeOptions.url ?? 'unknown');
    spans.set(req, span);
    // Every line this request logs names the action it is about.
    const actionId = /^\/v1\/actions\/(act_[0-9A-Za-z]+)/.exec(req.url)?.[1];
    if (actionId) {
      req.log = req.log.child({ actionId });
      span.setAttribute('interlock.action_id', actionId);
    }
    traceContext.with(ctx, done);
  });
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_req, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (req, reply) => {
    const span = spans.get(req);
    if (span) endHttpSpan(span, reply.statusCode);
    const route = req.routeOptions.url ?? 'unknown';
    services.metrics.httpRequests.inc({ method: req.method, route, status: reply.statusCode });
    services.metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    if (reply.statusCode >= 500) req.log.error({ route, status: reply.statusCode }, 'request failed');
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'Interlock API', version: '1.0.0', description: 'The approval layer between agents/pipelines and privileged production actions.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a token from `npx interlock token create <principal>`' } } },
    },
    transformObject: (doc) => withOptionalBodies((doc as { openapiObject: never }).openapiObject),
  });
  // Per principal, after authentication; a runaway agent is slowed down, not the whole API. Registered before
  // auth, which counts unauthenticated requests per address on the same plugin (api/limits/address-budget.ts).
  await app.register(rateLimit, {
    hook: 'preHandler',
    max: services.config.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (req) => req.principal?.id ?? req.ip,
    allowList: (req) => !req.principal,
    errorResponseBuilder: (_req, ctx) => new ApiError(429, ErrorCode.rateLimited, `more than ${ctx.max} requests a minute; retry in ${Math.ceil(ctx.ttl / 1000)} s`),
  });
  const oidc = new OidcVerifier(() => services.principals.current(), { jwksCooldownMs: services.config.jwksCooldownSeconds * 1000 });
  // Tokens are looked up once per 30 s per process, not per request; a revocation reaches every process's cache at once.
  const cache = tokens ? null : new TokenCache(services.database);
  if (cache) {
    await cache.start();
    app.addHook('onClose', () => cache.stop());
  }
  await app.register(authPlugin, { principals: services.principals, lookup: tokens ?? ((token) => cache!.lookup(token)), anonPerMinute: services.config.rateLimitAnonPerMinute, oidc });
  // An unknown URL is behind a token like the API it is under, except under the open groups' prefixes.
  app.setNotFoundHandler({ preValidation: (req: FastifyRequest, reply: FastifyReply) => (/^\/(docs|slack|console)(\/|$)/.test(req.url) ? app.openAccess(req, reply) : app.requireToken(req, reply)) }, unknownRoute);
  await app.register(async (docs) => {
    docs.addHook('onRequest', app.openAccess);
    await docs.register(swaggerUi, { routePrefix: '/docs' });
  });

  const actions = core ?? new ActionCore(services, temporal);
  // The core this app made ends its watches with it; a core handed in belongs to the caller.
  if (!core) app.addHook('onClose', async () => actions.close());
  await app.register(healthRoutes, { services, temporal });
  // One start budget per principal, whichever door starts the workflow.
  const admission = createSubmissionAdmission(services.config);
  await app.register(actionRoutes, { services, actions, admission });
  await app.register(auditRoutes, { services });
  await app.register(policyRoutes, { actions });
  await app.register(grantRoutes, { services, actions });
  await app.register(jwksRoutes, { services });
  await app.register(mcpRoutes, { services, actions, admission });
  await app.register(tokenRoutes, { services, onRevoked: (id: string) => cache?.evict(id) });
  await app.register(consoleRoutes, { services, actions, oidc });
  // The API signs grants, so it is the process that notices (and audits, once) a new signing key.
  const rotated = services.grants.persistent ? await recordKeyRotation(services.database.db, services.audit, services.grants) : null;
  if (rotated) services.log.warn(rotated, 'grant signing key rotated');
  if (extend) {
    await app.register(async (open) => {
      open.addHook('onRequest', app.openAccess);
      await extend(open, actions);
    });
  }
  return app;
}

/** The executors' types, from the registry. */
const EXECUTE_TYPES = new Set<string>(EXECUTORS.map((e) => e.type));

/** The property names of an object schema, or of each branch of a union of them (http's target and url forms). */
function schemaKeys(schema: { properties?: object; anyOf?: object[] }): string[] {
  return [...Object.keys(schema.properties ?? {}), ...(schema.anyOf ?? []).flatMap((b) => schemaKeys(b as typeof schema))];
}

/**
 * An `execute` object that fits none of the forms (an unknown type, a field its form does not have, a form missing
 * its target): the contract's 422 `target_not_allowed`, naming the field, not 400 with every branch's complaint.
 * A body that is wrong elsewhere too, or whose `execute` is not an object at all, stays a 400.
 */
function unrunnableExecute(err: FastifyError, req: FastifyRequest, details: { field: string; message: string }[]): ApiError | null {
  const execute = (req.body as { execute?: unknown } | undefined)?.execute;
  if (err.validationContext !== 'body' || execute === null || typeof execute !== 'object' || Array.isArray(execute)) return null;
  if (!details.every((d) => d.field === 'execute' || d.field.startsWith('execute.'))) return null;
  const type = (execute as { type?: unknown }).type;
  if (typeof type !== 'string' || !EXECUTE_TYPES.has(type)) {
    const message = `execute.type ${typeof type === 'string' ? `"${type}"` : 'is missing or not a string and'} is not one Interlock runs: ${[...EXECUTE_TYPES].join(', ')}`;
    return new ApiError(422, ErrorCode.targetNotAllowed, message, [{ field: 'execute.type', message }]);
  }
  // Each branch of the union complains: keep the complaints of the branch for this type (ajv's schemaPath says which:
  // `.../execute/anyOf/<executor>/...`), and of those name a value the form refuses (a range, a type), else a field
  // none of the type's forms has, else one another of its forms lacks, else what it is missing.
  const index = EXECUTORS.findIndex((e) => e.type === type);
  const branch = `/execute/anyOf/${index}/`;
  const keys = new Set(schemaKeys(EXECUTORS[index].schema));
  const own = details.filter((d, i) => (err.validation![i]?.schemaPath ?? '').includes(branch) && d.field !== 'execute.type');
  const kind = (d: { field: string; message: string }) =>
    !d.message.startsWith('unknown field') ? (d.message.endsWith('is required') ? 3 : 0) : keys.has(d.field.split('.')[1]) ? 2 : 1;
  const chosen = [...own].sort((a, b) => kind(a) - kind(b))[0] ?? details.find((d) => d.field !== 'execute' && d.field !== 'execute.type');
  const field = chosen?.field ?? 'execute';
  const message = `execute (type ${type}) does not fit its form at ${field}${chosen ? `: ${chosen.message}` : ''}; http takes {target, path, ...} or {url, ...} under a target's base, postgres {target, statement, args}, none nothing else`;
  return new ApiError(422, ErrorCode.targetNotAllowed, message, [{ field, message }]);
}

function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const core = err instanceof InterlockError ? err : dependencyUnavailable(err);
  const known = err instanceof ApiError ? err : core ? fromCore(core) : null;
  if (known) {
    if (known.status === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    return reply.code(known.status).send(known.body());
  }
  if (err.validation) {
    const details = err.validation.map((v) => {
      const missing = (v.params as { missingProperty?: string })?.missingProperty;
      const extra = (v.params as { additionalProperty?: string })?.additionalProperty;
      const base = (v.instancePath || '').replace(/^\//, '').replace(/\//g, '.');
      const field = [err.validationContext === 'body' ? '' : err.validationContext, base, missing ?? extra].filter(Boolean).join('.') || err.validationContext || 'body';
      const message = extra ? `unknown field "${extra}" is not allowed` : missing ? `"${missing}" is required` : `${field} ${v.message}`;
      return { field, message };
    });
    const unrunnable = unrunnableExecute(err, req, details);
    if (unrunnable) return reply.code(422).send(unrunnable.body());
    return reply.code(400).send(new ApiError(400, ErrorCode.invalidRequest, details.map((d) => d.message).join('; '), details).body());
  }
  const byCode: Record<string, [number, string, string]> = {
    // The parser also refuses prototype-poisoning keys but does not say so; this is the only place to tell the caller.
    FST_ERR_CTP_INVALID_JSON_BODY: [400, ErrorCode.malformedJson, 'the body is not valid JSON, or it has a key named "__proto__" (or "constructor" holding "prototype"), which is refused anywhere in a body'],
    FST_ERR_CTP_EMPTY_JSON_BODY: [400, ErrorCode.malformedJson, 'the body is empty; send a JSON object'],
    FST_ERR_CTP_BODY_TOO_LARGE: [413, ErrorCode.bodyTooLarge, 'the body is larger than 1 MiB'],
    FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, ErrorCode.unsupportedMediaType, 'send Content-Type: application/json'],
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, ErrorCode.invalidRequest, 'Content-Length does not match the body'],
  };
  const mapped = err.code ? byCode[err.code] : undefined;
  if (mapped) return reply.code(mapped[0]).send(new ApiError(mapped[0], mapped[1], mapped[2]).body());
  if (err instanceof SyntaxError || (err.statusCode && err.statusCode < 500)) {
    const status = err.statusCode ?? 400;
    return reply.code(status).send(new ApiError(status, ErrorCode.invalidRequest, err.message).body());
  }
  req.log.error({ err }, 'unhandled error');
  return reply.code(500).send(new ApiError(500, ErrorCode.internal, 'internal error; the request may not have been applied, retry with the same Idempotency-Key').body());
}
