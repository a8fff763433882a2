// What the Temporal-side benchmarks share: a dev server, a Postgres database, a sink that stamps when each request
// arrives, Interlock's API and worker as real `interlock api` / `interlock worker` processes, and the baseline
// workflow's worker as a process of its own, all on one machine and one dev server, so figures compare side by side.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { PROJECT_ROOT } from '../../devserver';
import { createToken } from '../../identity';
import { createDatabase } from '../../test/faults/harness';
export { inParallel } from '../../test/faults/harness';
import { spawnRole, type RoleProcess } from '../../test/faults/role-process';
import { startTestEnvironment } from '../../test/support/test-environment';

export const REQUESTER = 'svc:bench-bot';
export const APPROVER = 'alice@example.com';

const POLICY = `version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - {id: bench-run, when: 'action == "bench.run"', decision: allow}
  - id: bench-approve
    when: action == "bench.approve"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 1}
    timeout: 24h
`;
const PRINCIPALS = `principals:
  - {id: "svc:bench-bot", kind: service, groups: [pipelines]}
  - {id: "alice@example.com", kind: human, groups: [data-owners]}
  - {id: "dave@example.com", kind: human, groups: [auditors]}
`;

/** A receiver that answers at once and stamps the moment each request's headers arrived, by Idempotency-Key. */
async function startStampingSink() {
  const arrived = new Map<string, number>();
  const waiters = new Map<string, (at: number) => void>();
  const server = createServer((req, res) => {
    const at = performance.timeOrigin + performance.now();
    const key = String(req.headers['idempotency-key'] ?? '');
    if (!arrived.has(key)) arrived.set(key, at);
    waiters.get(key)?.(at);
    waiters.delete(key);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    base: `http://127.0.0.1:${port}/`,
    hostPort: `127.0.0.1:${port}`,
    arrived,
    /** When the request with this key arrives (at once if it has). */
    arrival: (key: string) => new Promise<number>((resolve) => (arrived.has(key) ? resolve(arrived.get(key)!) : waiters.set(key, resolve))),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** `sink`: timeout 5 s, so an auto-allowed call runs as a local activity; `sink-30s`: the default 30 s, an activity. */
export type BenchTarget = 'sink' | 'sink-30s';

/** One measured run: what the caller saw, and when (wall clock) it began and ended. */
export interface Run {
  id: string;
  ms: number;
  submitMs: number;
  startedAt: number;
  endedAt: number;
}

export type BenchWorld = Awaited<ReturnType<typeof startBenchWorld>>;

/** A dev server, Postgres database, sink and role processes for one benchmark; `taskQueuePartitions` as the server's. */
export async function startBenchWorld(log: (s: string) => void, opts: { taskQueuePartitions?: number } = {}) {
  const envStop: Array<() => Promise<void>> = [];
  const testEnv = await startTestEnvironment((l) => log(l.replace(/^test: /, '')), opts);
  envStop.push(testEnv.stop);
  const adminUrl = testEnv.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const database = await createDatabase(adminUrl);
  const sink = await startStampingSink();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'interlock-bench-'));
  const files = { policy: path.join(dir, 'policy.yaml'), principals: path.join(dir, 'principals.yaml'), targets: path.join(dir, 'targets.yaml') };
  writeFileSync(files.policy, POLICY);
  writeFileSync(files.principals, PRINCIPALS);
  // Two targets on the same sink: `sink` with a short timeout (an auto-allowed call to it runs as a local activity)
  // and `sink-30s` with the default 30 s (its calls run as heartbeating activities).
  writeFileSync(files.targets, `targets:\n  sink:\n    type: http\n    url: ${sink.base}\n    timeout: 5s\n  sink-30s:\n    type: http\n    url: ${sink.base}\n    timeout: 30s\n`);
  const taskQueue = `bench-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const env: NodeJS.ProcessEnv = {
    ...testEnv.env,
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATABASE_URL: database.url,
    INTERLOCK_DATA_DIR: dir,
    INTERLOCK_POLICY: files.policy,
    INTERLOCK_PRINCIPALS: files.principals,
    INTERLOCK_TARGETS: files.targets,
    INTERLOCK_MCP: path.join(dir, 'no-mcp.yaml'),
    INTERLOCK_WEBHOOK_SECRET: 'whsec_' + Buffer.from('interlock-bench-secret-0123456789').toString('base64'),
    INTERLOCK_HTTP_ALLOW_PRIVATE: sink.hostPort,
    HOST: '127.0.0.1',
    PORT: '0',
    INTERLOCK_RATE_LIMIT: '100000000',
    INTERLOCK_RATE_LIMIT_ANON: '100000000',
    INTERLOCK_START_LIMIT: '100000000',
    INTERLOCK_SUBMIT_CONCURRENCY: '100000000',
    LOG_LEVEL: 'warn',
    // As the Dockerfile runs every role: two glibc malloc arenas, not one per thread (a worker holding thousands of
    // pending actions measured lower and steadier resident memory with it; set MALLOC_ARENA_MAX to compare).
    MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
  };
  const processes: RoleProcess[] = [];
  const baselineWorkers: ChildProcess[] = [];
  const db = new pg.Pool({ connectionString: database.url, max: 2 });
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection });
  const tokens = new Map<string, string>();

  const world = {
    env,
    sink,
    temporal,
    taskQueue,
    baselineQueue: `${taskQueue}-baseline`,
    apis: [] as RoleProcess[],
    workers: [] as RoleProcess[],
    async startApi(): Promise<RoleProcess> {
      const p = await spawnRole('api', env);
      processes.push(p);
      world.apis.push(p);
      return p;
    },
    async startWorker(metricsPort?: number): Promise<RoleProcess> {
      const p = await spawnRole('worker', env, 60_000, metricsPort === undefined ? [] : ['--metrics-port', String(metricsPort)]);
      processes.push(p);
      world.workers.push(p);
      return p;
    },
    async stopInterlock(): Promise<void> {
      await Promise.all([...world.apis, ...world.workers].map((p) => p.stop()));
      world.apis = [];
      world.workers = [];
    },
    /** A baseline worker process; resolves once it polls. */
    async startBaselineWorker(): Promise<ChildProcess> {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'bench', 'baseline', 'worker.ts'), world.baselineQueue], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      baselineWorkers.push(child);
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const onData = (b: Buffer) => {
          out += b.toString();
          if (out.includes('baseline worker: polling')) resolve();
        };
        child.stdout!.on('data', onData);
        child.stderr!.on('data', (b: Buffer) => void (out += b.toString()));
        child.once('exit', (code) => reject(new Error(`baseline worker exited ${code}: ${out.slice(-2000)}`)));
      });
      return child;
    },
    async stopBaselineWorkers(): Promise<void> {
      await Promise.all(baselineWorkers.splice(0).map((c) => new Promise<void>((r) => (c.exitCode !== null ? r() : (c.once('exit', () => r()), c.kill('SIGTERM'))))));
    },
    async token(principal: string): Promise<string> {
      if (!tokens.has(principal)) tokens.set(principal, (await createToken(drizzle(db) as never, principal, 'bench')).token);
      return tokens.get(principal)!;
    },
    async call(api: RoleProcess, principal: string, method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
      const headers: Record<string, string> = { authorization: `Bearer ${await world.token(principal)}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(api.url + route, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      try {
        return { status: res.status, body: JSON.parse(text) };
      } catch {
        return { status: res.status, body: text };
      }
    },
    /** Submits an http action to the sink; the answer (the Action as the policy decided it). */
    async submit(api: RoleProcess, action: 'bench.run' | 'bench.approve', n: number | string, target: BenchTarget = 'sink'): Promise<any> {
      const res = await world.call(api, REQUESTER, 'POST', '/v1/actions', { action, resource: `bench://${n}`, params: { n }, execute: { type: 'http', target, path: '/run', body: { n } } });
      if (res.status !== 202) throw new Error(`submit ${n}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    /** REST submit, then `/wait` until it settles: what an Interlock caller sees. */
    async interlockRun(api: RoleProcess, n: number | string, target: BenchTarget = 'sink'): Promise<Run> {
      const startedAt = Date.now();
      const t = performance.now();
      const a = await world.submit(api, 'bench.run', n, target);
      const submitMs = performance.now() - t;
      let status = a.status;
      while (status !== 'succeeded' && status !== 'failed') {
        const w = await world.call(api, REQUESTER, 'GET', `/v1/actions/${a.id}/wait?timeout=60`);
        status = w.body.status;
      }
      if (status !== 'succeeded') throw new Error(`${a.id} ended ${status}`);
      return { id: a.id, ms: performance.now() - t, submitMs, startedAt, endedAt: Date.now() };
    },
    /** The baseline: start the one-activity workflow through the client and wait for its result. */
    async baselineRun(n: number | string): Promise<Run> {
      const startedAt = Date.now();
      const t = performance.now();
      const id = `baseline-${taskQueue}-${n}`;
      const handle = await temporal.workflow.start('baselineWorkflow', { taskQueue: world.baselineQueue, workflowId: id, args: [`${sink.base}run`, id, { n }] });
      const submitMs = performance.now() - t;
      await handle.result();
      return { id, ms: performance.now() - t, submitMs, startedAt, endedAt: Date.now() };
    },
    /** Where one run's time went, from its history's event times (one machine, one clock), in ms. */
    async phases(run: Run) {
      const h = await temporal.workflow.getHandle(run.id).fetchHistory();
      const at = (pred: (e: any) => boolean, last = false) => {
        const found = (h.events ?? []).filter(pred);
        const e = last ? found[found.length - 1] : found[0];
        return e?.eventTime ? Number(e.eventTime.seconds) * 1000 + Math.floor((e.eventTime.nanos ?? 0) / 1e6) : NaN;
      };
      const started = at((e) => e.workflowExecutionStartedEventAttributes);
      const actStarted = at((e) => e.activityTaskStartedEventAttributes, true);
      const actDone = at((e) => e.activityTaskCompletedEventAttributes, true);
      const closed = at((e) => e.workflowExecutionCompletedEventAttributes);
      return { toStart: started - run.startedAt, startToExecutor: actStarted - started, executor: actDone - actStarted, executorToClose: closed - actDone, startToClose: closed - started, closeToCaller: run.endedAt - closed };
    },
    /**
     * CPU seconds (user + system) each process of the run has used so far, from /proc (Linux, 100 ticks a second):
     * the API and worker roles, the baseline workers, the dev server, Postgres (every `postgres` process), and this
     * bench process (the callers of both sides). Two readings around a phase say where its CPU went.
     */
    cpuSeconds(): Record<'api' | 'worker' | 'baselineWorker' | 'temporal' | 'postgres' | 'bench', Record<string, number>> {
      const ticks = (pid: number | string | undefined) => {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          return (Number(f[11]) + Number(f[12])) / 100;
        } catch {
          return 0;
        }
      };
      const of = (pids: Array<number | undefined>) => Object.fromEntries(pids.map((pid) => [String(pid), ticks(pid)]));
      const byName = (match: (cmd: string) => boolean) => {
        const found: Record<string, number> = {};
        for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
          let cmd = '';
          try {
            cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          } catch {
            continue;
          }
          if (match(cmd)) found[pid] = ticks(pid);
        }
        return found;
      };
      const port = (env.TEMPORAL_ADDRESS ?? '').split(':').pop();
      const me = process.cpuUsage();
      return {
        api: of(world.apis.map((p) => p.pid)),
        worker: of(world.workers.map((p) => p.pid)),
        baselineWorker: of(baselineWorkers.map((c) => c.pid)),
        temporal: byName((cmd) => cmd.includes('start-dev') && cmd.includes(`--port\0${port}\0`)),
        // Per backend: one that ends between two readings takes its last CPU with it (a small undercount).
        postgres: byName((cmd) => cmd.startsWith('postgres:') || cmd.includes('/bin/postgres\0')),
        bench: { self: (me.user + me.system) / 1e6 },
      };
    },
    /** A process's resident memory, from /proc (Linux). */
    rssBytes(pid: number): number | null {
      try {
        const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
        return m ? Number(m[1]) * 1024 : null;
      } catch {
        return null;
      }
    },
    /** Per workflow: history events, workflow tasks, activities, local activities, history JSON bytes. */
    async historyCounts(workflowId: string) {
      const h = await temporal.workflow.getHandle(workflowId).fetchHistory();
      const events = h.events ?? [];
      return {
        events: events.length,
        workflowTasks: events.filter((e) => e.workflowTaskCompletedEventAttributes).length,
        activities: events.filter((e) => e.activityTaskScheduledEventAttributes).length,
        localActivities: events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length,
        bytes: JSON.stringify(h).length,
      };
    },
    async close(): Promise<void> {
      await Promise.all(processes.map((p) => p.stop().catch(() => undefined)));
      await world.stopBaselineWorkers();
      await connection.close();
      await db.end();
      await sink.close();
      await database.drop();
      for (const stop of envStop) await stop();
    },
  };
  return world;
}

export const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
export const ms = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
export const load = (): string => os.loadavg().map((l) => l.toFixed(1)).join(' / ');
