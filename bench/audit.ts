import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { availableParallelism } from 'node:os';
import pg from 'pg';
import { AuditWriter, canonicalJson, createCheckpoint, eventBody, GENESIS_HASH, linkHash, parseSigningKey, verifyTrail } from '../audit';
import { openDatabase, type Database } from '../db';
import type { Action } from '../domain/action';

export const name = 'audit';

const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Event data shaped like the workflow's, so row and hash sizes are realistic (about 330 bytes of data). */
function eventData(type: string, a: number): Record<string, unknown> {
  if (type === 'action.submitted') {
    return { submission: { action: 'db.export', resource: `postgres://prod/customers${a % 97}`, environment: 'production', params: { table: 'customers', destination: `s3://finance-exports/${a}` }, justification: 'monthly revenue reconciliation', onBehalfOf: null, context: { agent: 'etl-bot', runUrl: `https://ci.example.com/runs/${a}` }, execute: { type: 'none' }, breakGlass: false }, requester: { id: 'svc:etl-bot', kind: 'service', groups: ['pipelines'] } };
  }
  if (type === 'policy.evaluated') {
    return { decision: { outcome: 'require_approval', ruleId: 'prod-data-export', policyVersion: `sha256:${'ab'.repeat(32)}`, approvers: { groups: ['data-owners'], principals: [] }, quorum: 1, distinctGroups: false, timeoutSeconds: 1800, escalation: [], risk: 'high', controls: ['SOC2:CC6.1', 'NIST800-53:AC-6'], slackChannel: null, requireJustification: true, maxParamsBytes: null, grantSeconds: null, breakGlassGroups: [], reason: 'rule prod-data-export requires 1 approval' } };
  }
  if (type === 'approval.decision') return { principal: 'alice@example.com', decision: 'approve', comment: 'checked the destination bucket', at: new Date(1_790_000_000_000 + a).toISOString(), via: 'slack', group: 'data-owners', breakGlass: false };
  return { by: 'approvers', approvers: ['alice@example.com'], breakGlass: false, reviewRequired: false };
}
const TYPES = ['action.submitted', 'policy.evaluated', 'approval.decision', 'action.approved'];

/** A throwaway database on the benchmark server; Postgres defaults, so synchronous_commit stays on. */
async function scratchDatabase(): Promise<{ database: Database; sql: pg.Pool; url: string; settings: string; drop(): Promise<void> }> {
  const dbName = `interlock_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${dbName} with (force)`);
  await admin.query(`create database ${dbName}`);
  const { rows } = await admin.query(`select version() as v, current_setting('synchronous_commit') as sc, current_setting('fsync') as fs, current_setting('wal_sync_method') as ws`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${dbName}`;
  const database = await openDatabase({ url: url.toString(), dataDir: '', poolSize: 10 });
  await database.migrate();
  const sql = new pg.Pool({ connectionString: url.toString(), max: 2 }); // plain SQL for setup and counters, outside the code measured
  const settings = `${String(rows[0].v).split(' on ')[0]}, synchronous_commit=${rows[0].sc}, fsync=${rows[0].fs}, wal_sync_method=${rows[0].ws}`;
  return {
    database,
    sql,
    url: url.toString(),
    settings,
    async drop() {
      await sql.end();
      await database.close();
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${dbName} with (force)`);
      await c.end();
    },
  };
}

/** `writers` callers, each awaiting one append at a time of one event and its action projection, as a workflow's recordStep does. */
async function appendThroughput({ database, sql }: { database: Database; sql: pg.Pool }, writers: number, events: number) {
  const writer = new AuditWriter(database.db);
  const commits = async () => Number((await sql.query(`select xact_commit from pg_stat_database where datname = current_database()`)).rows[0].xact_commit);
  const before = await commits();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let n = 0; n < events / writers; n++) {
        // A workflow's life: four steps on one action, then the next action.
        const step = n % TYPES.length;
        const id = `act_w${writers}_${w}_${(n - step) / TYPES.length}`;
        const type = TYPES[step];
        await writer.append([{ id: `${id}:${step + 1}:${type}`, actionId: id, type, actor: 'svc:etl-bot', at: new Date().toISOString(), data: eventData(type, n), policyVersion: `sha256:${'ab'.repeat(32)}` }], { action: projection(id), version: step + 1 });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const transactions = (await commits()) - before; // includes the few statements outside the writer; close enough for a mean
  return { seconds, perSecond: events / seconds, eventsPerCommit: events / Math.max(transactions, 1) };
}

function projection(id: string): Action {
  const at = new Date().toISOString();
  return { id, action: 'db.export', resource: 'db://x', environment: 'production', params: {}, justification: null, requester: 'svc:etl-bot', onBehalfOf: null, context: {}, execute: { type: 'none' }, breakGlass: false, status: 'pending_approval', decision: null, approvals: [], result: null, statusReason: null, grantExpiresAt: null, createdAt: at, updatedAt: at };
}

/** Writes a valid chain of `count` events in bulk (not timed: the append figures above are the write path). */
async function bulkChain(sql: pg.Pool, count: number, log: (s: string) => void): Promise<void> {
  let prev = GENESIS_HASH;
  const batch = 5000;
  for (let from = 1; from <= count; from += batch) {
    const cols: unknown[][] = Array.from({ length: 10 }, () => []);
    for (let seq = from; seq < Math.min(from + batch, count + 1); seq++) {
      const type = TYPES[(seq - 1) % TYPES.length];
      const a = Math.floor((seq - 1) / TYPES.length);
      const e = { seq, id: `act_${a}:${seq}:${type}`, actionId: `act_${a}`, type, actor: type === 'approval.decision' ? 'alice@example.com' : 'svc:etl-bot', at: new Date(1_790_000_000_000 + seq * 7).toISOString(), policyVersion: `sha256:${'ab'.repeat(32)}` };
      const data = canonicalJson(eventData(type, a));
      const hash = linkHash(prev, eventBody(e, data));
      [e.seq, e.id, e.actionId, e.type, e.actor, e.at, data, e.policyVersion, prev, hash].forEach((v, i) => cols[i].push(v));
      prev = hash;
    }
    await sql.query(
      `insert into audit_events (seq, id, action_id, type, actor, at, data, policy_version, prev_hash, hash)
       select s, i, a, t, ac, at, d::json, p, ph, h from unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::text[], $9::text[], $10::text[]) as r(s, i, a, t, ac, at, d, p, ph, h)`,
      cols,
    );
    if ((from - 1) % 200_000 === 0) log(`audit: writing the verify data set, ${fmt(from - 1)} of ${fmt(count)} events`);
  }
  await sql.query('vacuum analyze audit_events');
}

export async function run(opts: { quick: boolean; log: (s: string) => void }): Promise<string> {
  let scratch: Awaited<ReturnType<typeof scratchDatabase>>;
  try {
    scratch = await scratchDatabase();
  } catch (err) {
    return `Skipped: no Postgres at ${ADMIN_URL.replace(/\/\/[^@]*@/, '//…@')} (${(err as Error).message}); set BENCH_DATABASE_ADMIN_URL.`;
  }
  try {
    const appendRows: string[] = [];
    for (const writers of [1, 50]) {
      const events = writers === 1 ? (opts.quick ? 500 : 2_000) : opts.quick ? 5_000 : 25_000;
      opts.log(`audit: appending ${fmt(events)} events from ${writers} concurrent writer(s)`);
      const r = await appendThroughput(scratch, writers, events);
      appendRows.push(`| ${writers} | ${fmt(events)} | ${r.seconds.toFixed(2)} | **${fmt(r.perSecond)}** | ${r.eventsPerCommit.toFixed(1)} |`);
      opts.log(`audit: ${writers} writer(s): ${fmt(r.perSecond)} events/s`);
    }
    await scratch.drop();
    scratch = await scratchDatabase(); // the verify set on its own, so its seqs start at 1

    const total = opts.quick ? 100_000 : 1_000_000;
    await bulkChain(scratch.sql, total, opts.log);
    const signer = parseSigningKey(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
    await createCheckpoint(scratch.database.db, signer);
    const verifiers = new Map([[signer.keyId, createPublicKey(signer.privateKey)]]);
    const workers = Math.min(availableParallelism(), 8);
    const verifyRows: string[] = [];
    for (const mode of ['workers', 'one thread'] as const) {
      opts.log(`audit: verifying ${fmt(total)} events (${mode})`);
      const started = performance.now();
      const r = await verifyTrail(scratch.database.db, { verifiers, parallel: mode === 'workers' ? { databaseUrl: scratch.url, workers, minEvents: 0 } : undefined });
      const seconds = (performance.now() - started) / 1000;
      if (!r.ok || r.count !== total) throw new Error(`verification failed: ${r.message}`);
      verifyRows.push(`| ${fmt(total)} | ${mode === 'workers' ? `${workers} worker threads, one COPY stream each` : 'one thread, one COPY stream'} | ${seconds.toFixed(2)} | **${fmt(total / seconds)}** |`);
      opts.log(`audit: verify (${mode}): ${fmt(total / seconds)} events/s`);
    }
    return [
      `Postgres: ${scratch.settings}. Every figure is wall time of the code path named, on a fresh database.`,
      '',
      '**Append** (`AuditWriter.append`): each writer awaits one append at a time of one event plus its action projection, as the',
      '`recordStep` activity does for a workflow; concurrent appends share a transaction (group commit) under the chain\'s advisory lock,',
      'and every append returns only after its transaction committed (one WAL flush per transaction, `synchronous_commit=on`).',
      '',
      '| concurrent writers | events | seconds | events/s | events per commit (mean) |',
      '| ---: | ---: | ---: | ---: | ---: |',
      ...appendRows,
      '',
      `**Verify** (\`verifyTrail\`, what \`npx interlock audit verify\` and \`GET /v1/audit/verify\` run): recompute every hash from seq 1 over`,
      `${fmt(total)} events of about 330 bytes of data each${opts.quick ? ' (--quick: the full run uses 1,000,000)' : ''}, and check the signed checkpoint.`,
      'Rows stream as binary COPY; each event\'s JCS text is assembled from the row bytes (the stored canonical `data` spliced in) and hashed.',
      'The worker-thread figure includes starting the workers.',
      '',
      '| events | path | seconds | events/s |',
      '| ---: | --- | ---: | ---: |',
      ...verifyRows,
      '',
      'Targets on the 2-core reference machine: append ≥ 5,000 events/s, verify ≥ 500,000 events/s; docs/audit.md discusses both figures.',
    ].join('\n');
  } finally {
    await scratch!.drop();
  }
}
