import { createPublicKey, generateKeyPairSync, hash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import pg from 'pg';
import { AuditWriter, BinaryCopyReader, canonicalJson, copyLinkRange, createCheckpoint, eventBody, GENESIS_HASH, LINK_FIELD_COUNT, LinkHasher, linkHash, parseSigningKey, verifyTrail, type VerifyOptions } from '../audit';
import { openDatabase, type Database } from '../db';
import type { Action } from '../domain/action';
import { dropDatabaseOnceLeft } from '../test/support/database';

export const name = 'audit';

const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
/** Runs per figure: this machine's speed drifts, so one run can mislead either way. */
const RUNS = 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

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
      await dropDatabaseOnceLeft(c, dbName);
      await c.end();
    },
  };
}

/** `writers` callers, each awaiting one append at a time of one event and its action projection, as a workflow's recordStep does. */
async function appendThroughput({ database, sql }: { database: Database; sql: pg.Pool }, writers: number, events: number, run: number) {
  const writer = new AuditWriter(database.db);
  const commits = async () => Number((await sql.query(`select xact_commit from pg_stat_database where datname = current_database()`)).rows[0].xact_commit);
  const before = await commits();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let n = 0; n < events / writers; n++) {
        // A workflow's life: four steps on one action, then the next action.
        const step = n % TYPES.length;
        const id = `act_r${run}_w${writers}_${w}_${(n - step) / TYPES.length}`; // new ids each run: a repeated id is a retry, answered from what is stored
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
    const cols: unknown[][] = Array.from({ length: 3 }, () => []);
    for (let seq = from; seq < Math.min(from + batch, count + 1); seq++) {
      const type = TYPES[(seq - 1) % TYPES.length];
      const a = Math.floor((seq - 1) / TYPES.length);
      const e = { seq, id: `act_${a}:${seq}:${type}`, actionId: `act_${a}`, type, actor: type === 'approval.decision' ? 'alice@example.com' : 'svc:etl-bot', at: new Date(1_790_000_000_000 + seq * 7).toISOString(), policyVersion: `sha256:${'ab'.repeat(32)}` };
      const canonical = eventBody(e, canonicalJson(eventData(type, a)));
      const hash = linkHash(prev, canonical);
      [seq, canonical, prev].forEach((v, i) => cols[i].push(v));
      prev = hash;
    }
    await sql.query(
      `insert into audit_events (seq, canonical, prev_hash)
       select s, c::json, p from unnest($1::bigint[], $2::text[], $3::text[]) as r(s, c, p)`,
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
      const runs: Awaited<ReturnType<typeof appendThroughput>>[] = [];
      for (let run = 1; run <= RUNS; run++) {
        opts.log(`audit: appending ${fmt(events)} events from ${writers} concurrent writer(s), run ${run} of ${RUNS}`);
        runs.push(await appendThroughput(scratch, writers, events, run));
      }
      const rates = runs.map((r) => r.perSecond);
      const mid = runs[rates.indexOf(median(rates))];
      appendRows.push(`| ${writers} | ${fmt(events)} | ${mid.seconds.toFixed(2)} | **${fmt(mid.perSecond)}** | ${fmt(Math.min(...rates))} – ${fmt(Math.max(...rates))} | ${mid.eventsPerCommit.toFixed(1)} |`);
      opts.log(`audit: ${writers} writer(s): ${fmt(mid.perSecond)} events/s (median of ${RUNS})`);
    }
    await scratch.drop();
    scratch = await scratchDatabase(); // the verify set on its own, so its seqs start at 1

    const total = opts.quick ? 100_000 : 1_000_000;
    await bulkChain(scratch.sql, total, opts.log);
    const signer = parseSigningKey(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
    await createCheckpoint(scratch.database.db, signer);
    const verifiers = new Map([[signer.keyId, createPublicKey(signer.privateKey)]]);
    const defaultStreams = Math.max(1, Math.floor(availableParallelism() / 2));
    const verify = (parallel: NonNullable<VerifyOptions['parallel']>) => async () => {
      const r = await verifyTrail(scratch.database.db, { verifiers, parallel, onProgress: (n) => n % 200_000 === 0 && opts.log(`audit:   ${fmt(n)} verified`) });
      if (!r.ok || r.count !== total) throw new Error(`verification failed: ${r.message}`);
    };
    const inMemory = Math.min(total, 200_000);
    const captured = await captureLinks(scratch.url, inMemory);
    const preimages = preimagesOf(captured);
    // The last three rows are the ceilings verify runs under: it cannot stream faster than Postgres sends, nor
    // hash faster than its per-row work alone (of which node:crypto is the last row); on two cores they share the machine.
    const modes = [
      { label: `as \`interlock audit verify\` runs here: ${defaultStreams === 1 ? 'one COPY stream, hashed in this thread' : `${defaultStreams} worker threads, one COPY stream each`}`, events: total, run: verify({ databaseUrl: scratch.url, minEvents: 0 }) },
      { label: '2 worker threads, one COPY stream each (counting their start)', events: total, run: verify({ databaseUrl: scratch.url, workers: 2, minEvents: 0 }) },
      { label: 'ceiling: Postgres sending the rows verify reads, to a sink that does nothing (no hashing)', events: total, run: () => streamLinks(scratch.url, total) },
      { label: `ceiling: verify's per-row work alone, on ${fmt(inMemory)} rows already in memory (no Postgres)`, events: inMemory, run: async () => hashLinks(captured) },
      { label: `of which: SHA-256 alone of the same ${fmt(inMemory)} rows' bytes (node:crypto, one call per row)`, events: inMemory, run: async () => hashOnly(preimages) },
    ];
    const verifyRows: string[] = [];
    for (const mode of modes) {
      const seconds: number[] = [];
      for (let run = 1; run <= RUNS; run++) {
        opts.log(`audit: ${fmt(mode.events)} events, ${mode.label}, run ${run} of ${RUNS}`);
        const started = performance.now();
        await mode.run();
        seconds.push((performance.now() - started) / 1000);
      }
      const mid = median(seconds);
      verifyRows.push(`| ${fmt(mode.events)} | ${mode.label} | ${mid.toFixed(2)} | **${fmt(mode.events / mid)}** | ${fmt(mode.events / Math.max(...seconds))} – ${fmt(mode.events / Math.min(...seconds))} |`);
      opts.log(`audit: ${mode.label}: ${fmt(mode.events / mid)} events/s (median of ${RUNS})`);
    }
    return [
      `Postgres: ${scratch.settings}, on this machine, over TCP (127.0.0.1). Every figure is wall time of the code path named, on a fresh`,
      `database, the median of ${RUNS} runs, with the slowest and fastest run beside it: this machine's speed varies by a fifth from one`,
      'minute to the next.',
      '',
      '**Append** (`AuditWriter.append`): each writer awaits one append at a time of one event plus its action projection, as the',
      '`recordStep` activity does for a workflow; concurrent appends share a transaction (group commit) under the chain\'s advisory lock,',
      'and every append returns only after its transaction committed (one WAL flush per transaction, `synchronous_commit=on`).',
      '',
      '| concurrent writers | events | seconds | events/s | events/s, slowest – fastest run | events per commit (mean) |',
      '| ---: | ---: | ---: | ---: | ---: | ---: |',
      ...appendRows,
      '',
      `**Verify** (\`verifyTrail\`, what \`npx interlock audit verify\` and \`GET /v1/audit/verify\` run): recompute every hash from seq 1 over`,
      `${fmt(total)} events of about 330 bytes of data each${opts.quick ? ' (--quick: the full run uses 1,000,000)' : ''}, and check the signed checkpoint.`,
      'Rows stream as binary COPY of each event\'s seq and the exact bytes its hash covers (stored prevHash, newline, stored canonical',
      'text), read off the socket in place and hashed where they arrived; each hash is checked against the next event\'s prevHash.',
      '',
      '| events | path | seconds | events/s | events/s, slowest – fastest run |',
      '| ---: | --- | ---: | ---: | ---: |',
      ...verifyRows,
      '',
      'The ceilings are measured in the same run, on this machine as it is then: one stream cannot verify faster than Postgres sends',
      'the rows, nor faster than this process does its per-row work on them, and with two cores Postgres and this process each keep',
      'one busy, so verify runs near the slower of the two. The last row is the share of that work spent in node:crypto itself. They',
      'show how much of a figure above is the machine and how much the verifier.',
      '',
      'Targets on the 2-core reference machine: append ≥ 5,000 events/s, verify ≥ 500,000 events/s; docs/audit.md explains the design behind both.'
    ].join('\n');
  } finally {
    await scratch!.drop();
  }
}

/** The COPY verify runs, one stream over seq 1..upTo, each payload chunk handed to `sink`. */
async function copyLinks(url: string, upTo: number, sink: (chunk: Buffer, start: number, end: number) => void): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await copyLinkRange(client as unknown as pg.PoolClient, { after: 0, upTo }, sink);
  } finally {
    await client.end();
  }
}

async function streamLinks(url: string, upTo: number): Promise<void> {
  await copyLinks(url, upTo, () => {});
}

/** The payload of the first `count` rows, kept in socket-sized chunks. */
async function captureLinks(url: string, count: number): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  await copyLinks(url, count, (chunk, start, end) => void chunks.push(Buffer.from(chunk.subarray(start, end))));
  return chunks;
}

/** What verify does per row once the bytes are here: parse the tuple, hash it, check its seq and its link. */
function hashLinks(chunks: Buffer[]): void {
  const hasher = new LinkHasher();
  let last = GENESIS_HASH;
  let bad = 0;
  const reader = new BinaryCopyReader(LINK_FIELD_COUNT, (buf, fields) => {
    const seq = hasher.seq(buf, fields);
    if (!hasher.intact(buf, fields, seq) || !hasher.follows(buf, fields, last)) bad++;
    last = hasher.digest;
  });
  for (const chunk of chunks) reader.push(chunk);
  if (bad > 0) throw new Error(`${bad} rows did not check out`);
}

/** Each row's hashed bytes (prevHash, newline, canonical text) as its own view, for timing the hash alone. */
function preimagesOf(chunks: Buffer[]): Uint8Array[] {
  const views: Uint8Array[] = [];
  const reader = new BinaryCopyReader(LINK_FIELD_COUNT, (buf, fields) => void views.push(buf.subarray(fields[2], fields[2] + fields[3])));
  for (const chunk of chunks) reader.push(chunk);
  return views;
}

function hashOnly(preimages: Uint8Array[]): void {
  for (const bytes of preimages) hash('sha256', bytes, 'hex');
}
