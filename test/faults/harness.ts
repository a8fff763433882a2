/**
 * The fault tests' world: a fresh Interlock database, policy, principals and targets files, a local sink
 * counting effects by Idempotency-Key, and real `interlock api` / `interlock worker` child processes on a
 * task queue of their own. A test starts, kills and restarts processes; the world stops what is left.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { PROJECT_ROOT } from '../../devserver';
import { dropDatabaseOnceLeft } from '../support/database';
import { startSink, type SinkScript } from '../support/sink';
import { spawnRole, type Role, type RoleProcess } from './role-process';

const run = promisify(execFile);

export const SECRET = 'whsec_' + Buffer.from('interlock-fault-secret-0123456789').toString('base64');
export const REQUESTER = 'svc:etl-bot';
export const APPROVER = 'alice@example.com';
export const AUDITOR = 'dave@example.com';

/** `fault.run` runs at once; `fault.approve` waits for one data owner. */
const POLICY = `version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - id: fault-run
    when: action == "fault.run"
    decision: allow
  - id: fault-approve
    when: action == "fault.approve"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 1}
    timeout: 1h
`;

const PRINCIPALS = `principals:
  - {id: "svc:etl-bot", kind: service, groups: [pipelines]}
  - {id: "alice@example.com", kind: human, groups: [data-owners]}
  - {id: "dave@example.com", kind: human, groups: [auditors]}
`;

/** The audit events each kind of fault-test action writes when nothing goes wrong, in order. */
export const EXPECTED_EVENTS = {
  'fault.run': ['action.submitted', 'policy.evaluated', 'action.approved', 'execution.started', 'execution.succeeded'],
  'fault.approve': ['action.submitted', 'policy.evaluated', 'approval.requested', 'approval.decision', 'action.approved', 'execution.started', 'execution.succeeded'],
} as const;

/** Compares each action's trail with what its workflow writes: events missing (lost) and events there twice or unexpected. */
export function compareEvents(byAction: Map<string, string[]>, expected: readonly string[]): { lost: number; extra: number; firstDifference: string | null } {
  let lost = 0;
  let extra = 0;
  let firstDifference: string | null = null;
  for (const [id, types] of byAction) {
    const left = [...types];
    for (const t of expected) {
      const i = left.indexOf(t);
      if (i === -1) lost += 1;
      else left.splice(i, 1);
    }
    extra += left.length;
    if (firstDifference === null && types.join() !== expected.join()) firstDifference = `${id}: ${JSON.stringify(types)}`;
  }
  return { lost, extra, firstDifference };
}

export interface FaultWorldOptions {
  /** The Temporal frontend (default: the test run's dev server, TEMPORAL_ADDRESS). */
  temporalAddress?: string;
  /** An admin URL of the Postgres to make the Interlock database on (default: the test server). */
  postgresAdminUrl?: string;
  sink?: SinkScript;
  /** More entries under `targets:` in the world's targets.yaml (indented two spaces), beside the sink; or a function of the sink's base URL that gives them. */
  extraTargets?: string | ((sinkBase: string) => string);
}

export type FaultWorld = Awaited<ReturnType<typeof startFaultWorld>>;

export async function startFaultWorld(opts: FaultWorldOptions = {}) {
  const database = await createDatabase(opts.postgresAdminUrl ?? process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'interlock-fault-'));
  const sink = await startSink(SECRET, opts.sink);
  const files = { policy: path.join(dir, 'policy.yaml'), principals: path.join(dir, 'principals.yaml'), targets: path.join(dir, 'targets.yaml') };
  writeFileSync(files.policy, POLICY);
  writeFileSync(files.principals, PRINCIPALS);
  // The sink as a configured target: submissions name its URL, which lies under the target's base.
  const sinkBase = new URL('/', sink.url).toString();
  const extraTargets = typeof opts.extraTargets === 'function' ? opts.extraTargets(sinkBase) : (opts.extraTargets ?? '');
  writeFileSync(files.targets, `targets:\n  sink:\n    type: http\n    url: ${sinkBase}\n    timeout: 30s\n${extraTargets}`);
  const taskQueue = `fault-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  let temporalAddress = opts.temporalAddress ?? process.env.TEMPORAL_ADDRESS!;
  const processes = new Set<RoleProcess>();

  const env = (): NodeJS.ProcessEnv => ({
    ...process.env,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATABASE_URL: database.url,
    INTERLOCK_DATA_DIR: dir, // shared by every process here: the development audit signing key lives in it
    INTERLOCK_POLICY: files.policy,
    INTERLOCK_PRINCIPALS: files.principals,
    INTERLOCK_TARGETS: files.targets,
    INTERLOCK_WEBHOOK_SECRET: SECRET,
    INTERLOCK_HTTP_ALLOW_PRIVATE: sink.hostPort,
    HOST: '127.0.0.1',
    PORT: '0',
    INTERLOCK_RATE_LIMIT: '1000000',
    INTERLOCK_RATE_LIMIT_ANON: '1000000',
    INTERLOCK_START_LIMIT: '1000000',
    INTERLOCK_SUBMIT_CONCURRENCY: '1000000',
    LOG_LEVEL: process.env.FAULT_LOG_LEVEL ?? 'warn',
  });

  const tokens = new Map<string, string>();
  const db = new pg.Pool({ connectionString: database.url, max: 4 });
  db.on('error', () => {}); // the Postgres fault test stops the server under this pool

  const world = {
    dir,
    sink,
    taskQueue,
    databaseUrl: database.url,
    db,
    /** Points processes started from now on at another Temporal frontend. */
    set temporalAddress(address: string) {
      temporalAddress = address;
    },
    env,
    /** Starts one role; resolves once it serves. */
    async start(role: Role): Promise<RoleProcess> {
      const p = await spawnRole(role, env());
      processes.add(p);
      void p.exited.then(() => processes.delete(p));
      return p;
    },
    /** A token per principal, made once the database is migrated (by the first process started). */
    async token(principal: string): Promise<string> {
      if (!tokens.has(principal)) {
        const { createToken } = await import('../../identity');
        const { drizzle } = await import('drizzle-orm/node-postgres');
        tokens.set(principal, (await createToken(drizzle(db) as never, principal, 'fault-test')).token);
      }
      return tokens.get(principal)!;
    },
    /** A JSON request to an API process as `principal`. */
    async call(api: RoleProcess, principal: string, method: string, route: string, body?: unknown, extra: Record<string, string> = {}): Promise<{ status: number; body: any }> {
      const headers: Record<string, string> = { authorization: `Bearer ${await world.token(principal)}`, ...extra };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(api.url + route, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      try {
        return { status: res.status, body: JSON.parse(text) };
      } catch {
        return { status: res.status, body: text };
      }
    },
    /** Submits as the requester; an http action goes to the sink. */
    async submit(api: RoleProcess, action: 'fault.run' | 'fault.approve', n: number): Promise<string> {
      const res = await world.call(api, REQUESTER, 'POST', '/v1/actions', { action, resource: `fault://${n}`, params: { n }, execute: { type: 'http', url: sink.url, body: { n } } });
      if (res.status !== 202) throw new Error(`submit ${n} via ${api.url}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    },
    /** Submits an action that runs at once with any `execute` form (the postgres kill case names its target). */
    async submitExecute(api: RoleProcess, n: number, execute: Record<string, unknown>): Promise<string> {
      const res = await world.call(api, REQUESTER, 'POST', '/v1/actions', { action: 'fault.run', resource: `fault://${n}`, params: { n }, execute });
      if (res.status !== 202) throw new Error(`submit ${n} via ${api.url}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    },
    /**
     * Submits with an Idempotency-Key and repeats the same submission until it is accepted, as a careful
     * client does while a dependency is down (503): however often it is sent, it is one action.
     */
    async submitUntilAccepted(api: RoleProcess, action: 'fault.run' | 'fault.approve', n: number, withinMs = 60_000): Promise<{ id: string; refusals: number }> {
      const end = Date.now() + withinMs;
      const body = { action, resource: `fault://${n}`, params: { n }, execute: { type: 'http', url: sink.url, body: { n } } };
      const headers = { authorization: `Bearer ${await world.token(REQUESTER)}`, 'content-type': 'application/json', 'idempotency-key': `fault-${world.taskQueue}-${n}` };
      for (let refusals = 0; ; refusals++) {
        const res = await fetch(`${api.url}/v1/actions`, { method: 'POST', headers, body: JSON.stringify(body) }).catch((err: Error) => err);
        if (!(res instanceof Error) && res.status === 202) return { id: ((await res.json()) as { id: string }).id, refusals };
        const why = res instanceof Error ? res.message : `${res.status} ${await res.text()}`;
        if (!(res instanceof Error) && res.status < 500) throw new Error(`submit ${n}: ${why}`);
        if (Date.now() > end) throw new Error(`submit ${n} not accepted within ${withinMs} ms; last: ${why}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    /** Whether a running process of this world printed a line matching `pattern`. */
    logged(pattern: RegExp): boolean {
      return [...processes].some((p) => p.saw(pattern));
    },
    /**
     * The activities of this world's running workflows that Temporal is retrying (attempt 2 or later), by
     * type: evidence that a step failed against the fault and is being tried again.
     */
    async retryingActivities(): Promise<Record<string, number>> {
      const connection = await Connection.connect({ address: temporalAddress });
      try {
        const temporal = new Client({ connection });
        const retrying: Record<string, number> = {};
        for await (const w of temporal.workflow.list({ query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"` })) {
          const d = await temporal.workflow.getHandle(w.workflowId).describe();
          for (const a of d.raw.pendingActivities ?? []) {
            if ((a.attempt ?? 1) >= 2) retrying[a.activityType?.name ?? '?'] = (retrying[a.activityType?.name ?? '?'] ?? 0) + 1;
          }
        }
        return retrying;
      } finally {
        await connection.close();
      }
    },
    /** Polls the actions projection until `ids` all have `status` (no fixed sleeps: a short poll). */
    async until(ids: string[], status: string, withinMs = 120_000): Promise<void> {
      const end = Date.now() + withinMs;
      let seen = 0;
      while (Date.now() < end) {
        seen = await db.query('select count(*)::int as n from actions where id = any($1) and status = $2', [ids, status]).then((r) => r.rows[0].n as number, () => seen);
        if (seen === ids.length) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      const { rows } = await db.query('select status, count(*)::int as n from actions where id = any($1) group by status', [ids]);
      throw new Error(`${seen} of ${ids.length} actions reached ${status} within ${withinMs} ms; by status: ${JSON.stringify(rows)}`);
    },
    /** What Temporal holds (GET queries the workflow): the status of each action, counted. */
    async liveStatuses(api: RoleProcess, ids: string[]): Promise<Record<string, number>> {
      const counts: Record<string, number> = {};
      await inParallel(ids, 16, async (id) => {
        const res = await world.call(api, AUDITOR, 'GET', `/v1/actions/${id}`);
        const status = res.status === 200 ? res.body.status : `http_${res.status}`;
        counts[status] = (counts[status] ?? 0) + 1;
      });
      return counts;
    },
    /** Audit events per action and type, from the table. */
    async eventCounts(ids: string[]): Promise<{ total: number; byAction: Map<string, string[]> }> {
      const { rows } = await db.query("select canonical::jsonb ->> 'actionId' as action_id, canonical::jsonb ->> 'type' as type from audit_events order by seq");
      const byAction = new Map<string, string[]>(ids.map((id) => [id, []]));
      for (const r of rows) byAction.get(r.action_id)?.push(r.type);
      return { total: rows.length, byAction };
    },
    /** `interlock audit verify` against the database: its exit code and what it printed. */
    async verifyAudit(): Promise<{ code: number; ok: boolean; count: number; output: string }> {
      const child = run(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'interlock.js'), 'audit', 'verify'], { cwd: PROJECT_ROOT, env: env() });
      const { stdout, stderr, code } = await child.then(
        (r) => ({ ...r, code: 0 }),
        (err: { stdout: string; stderr: string; code: number }) => ({ stdout: err.stdout, stderr: err.stderr, code: err.code }),
      );
      const result = JSON.parse(stdout || '{}');
      return { code, ok: result.ok === true, count: Number(result.count ?? -1), output: `${stdout}\n${stderr}` };
    },
    async close(): Promise<void> {
      await Promise.all([...processes].map((p) => p.stop()));
      await sink.close();
      await db.end();
      await database.drop();
    },
  };
  return world;
}

/** A new empty database on the server at `adminUrl` (Postgres always: these processes share it). */
export async function createDatabase(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `interlock_f_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>) => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  await admin((c) => c.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin((c) => dropDatabaseOnceLeft(c, name)) };
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function inParallel<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(lanes);
}

/** What one run of a fault test measured; `npm run test:faults` collects these into its table (FAULT_FIGURES). */
export interface FaultFigures {
  test: string;
  actions: number;
  /** Distinct effects applied per action at the sink (or ledger rows per action): 1 is exactly once. */
  effectsPerAction: number;
  /** Audit events the workflows wrote that are not in the trail. */
  lostEvents: number;
  [more: string]: unknown;
}

export function recordFigures(figures: FaultFigures): void {
  const file = process.env.FAULT_FIGURES;
  if (file) appendFileSync(file, JSON.stringify(figures) + '\n');
}
