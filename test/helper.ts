import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApi, type ApiServices } from '../api';
import { loadConfig } from '../config';
import { GrantKeys } from '../grants';
import type { ActionCore } from '../core';
import { PrincipalsStore } from '../identity';
import { createLogger, createMetrics } from '../observability';
import { PolicyStore } from '../policy';
import { TargetsStore } from '../targets';

/** The token `build()` accepts for each principal id: `token:<id>`. */
export const tokenFor = (principalId: string) => `token:${principalId}`;

/**
 * The Fastify app alone, for `app.inject`: the repository's policy, principals and targets, tokens `token:<id>`, and no
 * database or Temporal behind it. `core` stands in for the use cases; by default any call to it fails the test,
 * so a request that passes validation when it should not is seen at once.
 */
export async function build(opts: { core?: Partial<ActionCore>; env?: Record<string, string> } = {}): Promise<FastifyInstance> {
  const config = loadConfig({ INTERLOCK_RATE_LIMIT: '1000000', INTERLOCK_RATE_LIMIT_ANON: '1000000', ...opts.env });
  const log = createLogger({ level: 'warn', pretty: false });
  const policy = new PolicyStore({ file: config.policyFile, logger: log });
  await policy.load();
  const principals = new PrincipalsStore(config.principalsFile, log);
  const targets = new TargetsStore({ file: config.targetsFile, logger: log });
  await targets.load();
  const absent = (what: string) =>
    new Proxy({}, { get: (_t, key) => { throw new Error(`this route test reached ${what}.${String(key)}; it should have been refused before`); } });
  const services = { config, log, metrics: createMetrics(), policy, principals, targets, grants: GrantKeys.ephemeral(), database: absent('the database'), audit: absent('the audit writer') } as unknown as ApiServices;
  const core = new Proxy(opts.core ?? {}, {
    get: (t, key) => (key in t ? (t as Record<string | symbol, unknown>)[key] : key === 'then' ? undefined : () => { throw new Error(`this route test reached core.${String(key)}; it should have been refused before`); }),
  }) as ActionCore;
  const app = await buildApi({
    services,
    temporal: absent('Temporal') as Client,
    core,
    tokens: async (token) => (token.startsWith('token:') && principals.current().get(token.slice(6)) ? token.slice(6) : null),
  });
  await app.ready();
  return app;
}
