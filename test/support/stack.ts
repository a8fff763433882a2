import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../api';
import type { ActionCore } from '../../core';
import { loadConfig } from '../../config';
import { createToken } from '../../identity';
import { createLogger, tracingClientInterceptors } from '../../observability';
import type { Channel } from '../../channels';
import { createSlackIntegration, type SlackIntegration } from '../../channels/slack';
import { createTeamsIntegration, type TeamsIntegration } from '../../channels/teams';
import { openServices, type Services } from '../../services';
import { startWorker, type RunningWorker } from '../../worker';
import type { TargetSource } from '../../targets/types';
import { freshDatabase } from './database';

export interface StackOptions {
  /** policy.yaml text; defaults to the repository's example policy. */
  policy?: string;
  principals?: string;
  /** Every log line the stack writes (at debug level) is pushed here, for tests that search the logs. */
  logLines?: string[];
  /** targets.yaml text; none by default (every http submission is then refused). */
  targets?: string;
  env?: Record<string, string>;
  /** More channels for the worker to notify (e.g. one a test controls). */
  channels?: Channel[];
  /** Run the real Slack integration (needs SLACK_* in `env`): its delivery in the worker, its receiver on the API. */
  slack?: boolean;
  /** Run the real Teams integration (needs TEAMS_* in `env`): its delivery in the worker, its bot endpoint on the API. */
  teams?: boolean;
  /** Mount more routes (e.g. Slack) on the API. */
  extend?: (app: FastifyInstance, actions: ActionCore, services: Services, temporal: Client) => Promise<void>;
  /** mcp.yaml text for the API's `/mcp` gateway; none by default. */
  mcp?: string;
  /** Instead of a targets.yaml text: targets given as data (they can be changed while the stack runs). */
  targetSource?: TargetSource;
}

export interface TestStack {
  url: string;
  services: Services;
  temporal: Client;
  slack: SlackIntegration | null;
  teams: TeamsIntegration | null;
  worker: RunningWorker;
  taskQueue: string;
  tokens: Record<string, string>;
  policyFile: string;
  targetsFile: string;
  mcpFile: string;
  /** A request as principal `as` (a principal id, or null for no token); the body is sent as JSON. */
  call(as: string | null, method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  /** Submit as `as` and return the Action. */
  submit(as: string, body: Record<string, unknown>): Promise<any>;
  /** Poll GET until `predicate` holds (no fixed sleeps). */
  until(as: string, id: string, predicate: (a: any) => boolean, timeoutMs?: number): Promise<any>;
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  stop(): Promise<void>;
}

export const DEFAULT_PRINCIPALS = `principals:
  - {id: "svc:etl-bot", kind: service, groups: [pipelines]}
  - {id: "alice@example.com", kind: human, groups: [data-owners], slack: U0ALICE}
  - {id: "bob@example.com", kind: human, groups: [data-owners, admins], slack: U0BOB}
  - {id: "erin@example.com", kind: human, groups: [data-owners, dba], slack: U0ERIN}
  - {id: "carol@example.com", kind: human, groups: [security-oncall, security], slack: U0CAROL}
  - {id: "frank@example.com", kind: human, groups: [security], slack: U0FRANK}
  - {id: "dave@example.com", kind: human, groups: [auditors]}
  - {id: "sre@example.com", kind: human, groups: [sre-oncall], slack: U0SRE}
  - {id: "mallory@example.com", kind: human, groups: [interns]}
`;

let counter = 0;

/**
 * A real stack for one test: a fresh database, policy and principals files, a worker on its own task
 * queue against the run's Temporal dev server, and the API on an ephemeral port, with a token per principal.
 */
export async function startStack(opts: StackOptions = {}): Promise<TestStack> {
  const database = await freshDatabase();
  const policyFile = path.join(database.dataDir, 'policy.yaml');
  const principalsFile = path.join(database.dataDir, 'principals.yaml');
  writeFileSync(policyFile, opts.policy ?? readFileSync(path.join(import.meta.dirname, '..', '..', 'policy.yaml'), 'utf8'));
  writeFileSync(principalsFile, opts.principals ?? DEFAULT_PRINCIPALS);
  // Always a file of the test's own: the repository's example targets.yaml must not leak into a test.
  const targetsFile = path.join(database.dataDir, 'targets.yaml');
  writeFileSync(targetsFile, opts.targets ?? '');
  const mcpFile = path.join(database.dataDir, 'mcp.yaml');
  writeFileSync(mcpFile, opts.mcp ?? '');
  const taskQueue = `test-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 6)}`;
  const config = loadConfig({
    ...process.env,
    PORT: '0',
    INTERLOCK_DATA_DIR: database.dataDir,
    DATABASE_URL: database.url ?? '',
    INTERLOCK_POLICY: policyFile,
    INTERLOCK_PRINCIPALS: principalsFile,
    INTERLOCK_TARGETS: targetsFile,
    INTERLOCK_MCP: mcpFile,
    TEMPORAL_TASK_QUEUE: taskQueue,
    INTERLOCK_WEBHOOK_SECRET: 'whsec_' + Buffer.from('interlock-test-secret-0123456789ab').toString('base64'),
    INTERLOCK_RATE_LIMIT: '1000000', // tests poll hard; the rate-limit test sets its own
    INTERLOCK_RATE_LIMIT_ANON: '1000000', // every test client shares 127.0.0.1; the limits tests set their own
    INTERLOCK_START_LIMIT: '1000000',
    INTERLOCK_SUBMIT_CONCURRENCY: '1000000',
    ...opts.env,
  });
  const lines = opts.logLines;
  const log = lines ? createLogger({ level: 'debug', pretty: false, destination: { write: (line) => void lines.push(line) } }) : createLogger({ level: process.env.LOG_LEVEL ?? 'warn', pretty: false });
  const services = await openServices(config, log);
  if (opts.targetSource) services.targets = opts.targetSource as Services['targets'];
  const address = config.temporalAddress!;
  const connection = await Connection.connect({ address });
  const temporal = new Client({ connection, namespace: config.temporalNamespace, interceptors: tracingClientInterceptors() });
  const slack = opts.slack ? await createSlackIntegration({ services }) : null;
  if (opts.slack && !slack) throw new Error('startStack({slack: true}) needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET in env');
  const teams = opts.teams ? await createTeamsIntegration({ services }) : null;
  if (opts.teams && !teams) throw new Error('startStack({teams: true}) needs TEAMS_APP_ID and TEAMS_APP_PASSWORD in env');
  const channels = [...(slack ? [slack] : []), ...(teams ? [teams] : []), ...(opts.channels ?? [])];
  let worker = await startWorker(services, { address, channels });
  const extend = async (a: FastifyInstance, actions: ActionCore) => {
    if (slack) await slack.mount(a, actions);
    if (teams) await teams.mount(a, actions);
    if (opts.extend) await opts.extend(a, actions, services, temporal);
  };
  const app = await buildApi({ services, temporal, extend: slack || teams || opts.extend ? extend : undefined });
  // env PORT: a test that must know its URL before the stack starts (an IdP's redirect URI) picks the port.
  await app.listen({ host: '127.0.0.1', port: Number(opts.env?.PORT ?? 0) });
  const addr = app.server.address() as { port: number };
  const url = `http://127.0.0.1:${addr.port}`;

  const tokens: Record<string, string> = {};
  for (const p of services.principals.current().all()) tokens[p.id] = (await createToken(services.database.db, p.id)).token;

  const call: TestStack['call'] = async (as, method, route, body, headers = {}) => {
    const h: Record<string, string> = { ...headers };
    if (as) h.authorization = `Bearer ${tokens[as] ?? as}`;
    if (body !== undefined) h['content-type'] ??= 'application/json';
    const res = await fetch(url + route, { method, headers: h, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed };
  };

  const stack: TestStack = {
    url,
    services,
    temporal,
    slack,
    teams,
    get worker() {
      return worker;
    },
    taskQueue,
    tokens,
    policyFile,
    targetsFile,
    mcpFile,
    call,
    async submit(as, body) {
      const res = await call(as, 'POST', '/v1/actions', body);
      if (res.status !== 202) throw new Error(`submit failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async until(as, id, predicate, timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      let last: any;
      while (Date.now() < end) {
        const res = await call(as, 'GET', `/v1/actions/${id}`);
        last = res.body;
        if (res.status === 200 && predicate(res.body)) return res.body;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`condition not reached for ${id} within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    },
    async stopWorker() {
      await worker.shutdown();
    },
    async startWorker() {
      worker = await startWorker(services, { address, channels });
    },
    async stop() {
      await app.close();
      await worker.shutdown().catch(() => {});
      await slack?.stop();
      await teams?.stop();
      await connection.close();
      await services.close();
      await database.drop();
    },
  };
  return stack;
}
