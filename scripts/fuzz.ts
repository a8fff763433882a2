/**
 * `npm run fuzz`: Schemathesis against the API's own OpenAPI document on a real stack (Temporal dev server in
 * memory, a fresh Postgres database, worker, API), as a requester and then as an auditor. Fails on any 5xx and
 * on any response whose status, content type or body its route does not document.
 *
 * FUZZ_SECONDS (default 150) is the whole budget, split between the two runs; FUZZ_ALLOW_NUL=false keeps NUL
 * characters out of generated strings; FUZZ_SEED makes a run reproducible.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { findTemporalCli, PROJECT_ROOT, SCHEMATHESIS, SCHEMATHESIS_VERSION, startDevServer } from '../devserver';
import { startStack } from '../test/support/stack';

const CHECKS = 'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance';
const started = Date.now();
const step = (what: string) => process.stdout.write(`\n== fuzz: ${what} (${Math.round((Date.now() - started) / 1000)} s)\n`);

interface Run {
  as: string;
  seconds: number;
  /** Schemathesis operation filters, e.g. ['--include-path-regex', '^/v1/audit']. */
  filter: string[];
}

function schemathesis(url: string, token: string, run: Run): Promise<number> {
  const args = [
    '--config-file', path.join(import.meta.dirname, 'schemathesis.toml'),
    'run', `${url}/docs/json`,
    '--url', url,
    '-H', `Authorization: Bearer ${token}`,
    '--checks', process.env.FUZZ_CHECKS ?? CHECKS,
    '--max-time', String(run.seconds),
    '--max-examples', process.env.FUZZ_MAX_EXAMPLES ?? '60',
    '--workers', process.env.FUZZ_WORKERS ?? '1',
    '--request-timeout', '15',
    '--generation-allow-x00', process.env.FUZZ_ALLOW_NUL ?? 'true',
    '--generation-database', 'none',
    '--suppress-health-check', 'all',
    '--report', 'junit',
    '--report-dir', path.join(PROJECT_ROOT, '.data', 'fuzz', run.as.replace(/\W+/g, '-')),
    ...(process.env.FUZZ_SEED ? ['--seed', process.env.FUZZ_SEED] : []),
    ...run.filter,
  ];
  process.stdout.write(`$ schemathesis ${args.map((a) => (a.startsWith('Authorization') ? 'Authorization: Bearer ***' : a)).join(' ')}\n`);
  // The token is in argv only: Schemathesis masks it in its own output (--output-sanitize is on by default).
  const child = spawn(SCHEMATHESIS, args, { cwd: path.join(PROJECT_ROOT, '.data', 'fuzz'), stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

async function main() {
  if (!existsSync(SCHEMATHESIS)) throw new Error(`Schemathesis ${SCHEMATHESIS_VERSION} is not installed: run \`npm run tools:fuzz\``);
  const budget = Number(process.env.FUZZ_SECONDS ?? 150);
  const workDir = path.join(PROJECT_ROOT, '.data', 'fuzz');
  mkdirSync(workDir, { recursive: true });

  const port = 19000 + Math.floor(Math.random() * 2000);
  step(`Temporal dev server (in memory) on 127.0.0.1:${port}`);
  const server = await startDevServer({ binary: findTemporalCli({ explicit: process.env.TEMPORAL_CLI_PATH }), dataDir: workDir, port, uiPort: null, dbFile: null });
  process.env.TEMPORAL_ADDRESS = server.address;
  process.env.TEST_DATABASE_ADMIN_URL ??= process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  delete process.env.DATABASE_URL;
  // Schemathesis reports every failure with a curl line to reproduce it; the API's own error logs would bury it.
  process.env.LOG_LEVEL ??= 'fatal';
  process.env.API_LOG_LEVEL ??= 'fatal';

  // Ctrl-C reaches Schemathesis too (same process group); this process stays to stop the stack and drop its database.
  let interrupted = false;
  process.on('SIGINT', () => {
    interrupted = true;
    process.stdout.write('\nfuzz: interrupted; stopping the stack\n');
  });
  let failed = 0;
  try {
    step('fresh Postgres database, migrations, worker (bundling the workflow code), API');
    // No webhook secret: the http executor then fails every allowed http action without sending it, so fuzzed
    // `execute.url`s never reach a real host (the failed path gets exercised instead).
    const stack = await startStack({ env: { INTERLOCK_WEBHOOK_SECRET: '' } });
    try {
      process.stdout.write(`API on ${stack.url}; OpenAPI document at ${stack.url}/docs/json\n`);
      // A few real actions, so list and audit pages have rows to serialise and check against their schema.
      for (const body of [
        { action: 'read.table', resource: 'postgres://staging/orders', environment: 'staging' },
        { action: 'db.export', resource: 'postgres://prod/customers', environment: 'production', justification: 'fuzz seed' },
        { action: 'iam.grant', resource: 'iam://role/admin', params: { role: 'admin' } },
      ]) await stack.submit('svc:etl-bot', body);

      const runs: Run[] = [
        { as: 'svc:etl-bot', seconds: Math.round(budget * 0.7), filter: [] },
        // The audit routes answer 403 to a requester; only an auditor reaches their query handling.
        { as: 'dave@example.com', seconds: Math.round(budget * 0.3), filter: ['--include-path-regex', '^/v1/(audit|actions$)'] },
      ];
      for (const run of runs) {
        if (interrupted) break;
        step(`Schemathesis ${SCHEMATHESIS_VERSION} as ${run.as}, at most ${run.seconds} s`);
        const code = await schemathesis(stack.url, stack.tokens[run.as], run);
        if (code !== 0) failed++;
        process.stdout.write(`fuzz: as ${run.as}: ${code === 0 ? 'no failures' : `FAILED (schemathesis exit ${code})`}\n`);
      }
    } finally {
      step('stopping the stack');
      await stack.stop();
    }
  } finally {
    await server.stop();
  }
  step(failed ? `${failed} run(s) found failures; reports under .data/fuzz/` : 'done: no server errors, every response matches its documented schema');
  process.exit(failed || interrupted ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
