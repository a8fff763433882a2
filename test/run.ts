/**
 * `npm test`: starts one Temporal dev server (in memory, headless) for the whole run, bundles the workflow
 * code once, then runs every test file with node's test runner against it and a real Postgres
 * (DATABASE_URL, else the local server's `postgres` database to create per-file databases in).
 * The PGlite pass re-runs the core flow on the embedded database.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureTestServer, findTemporalCli, PROJECT_ROOT, startDevServer } from '../devserver';
import { bundleWorkflows } from '../worker';

const PGLITE_PASS = ['test/integration/action-flow.test.ts'];

function testFiles(filter: string[]): string[] {
  const found: string[] = [];
  for (const dir of ['test/unit', 'test/workflows', 'test', 'test/integration', 'test/faults']) {
    for (const f of readdirSync(path.join(PROJECT_ROOT, dir))) if (f.endsWith('.test.ts')) found.push(path.join(dir, f));
  }
  return filter.length ? found.filter((f) => filter.some((x) => f.includes(x))) : found;
}

function runNodeTests(files: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const args = ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...files];
  const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env, stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

async function main() {
  const filter = process.argv.slice(2);
  const workDir = path.join(PROJECT_ROOT, '.data', 'test');
  mkdirSync(workDir, { recursive: true });

  const binary = findTemporalCli({ explicit: process.env.TEMPORAL_CLI_PATH });
  ensureTestServer(); // the workflow unit tests' time-skipping server
  const port = 17000 + Math.floor(Math.random() * 2000);
  process.stdout.write(`test: starting Temporal dev server on 127.0.0.1:${port}\n`);
  const server = await startDevServer({ binary, dataDir: workDir, port, uiPort: null, dbFile: null });

  process.stdout.write('test: bundling workflow code once for all test files\n');
  const bundle = await bundleWorkflows();
  const bundlePath = path.join(workDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);

  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_CLI_PATH: binary, INTERLOCK_WORKFLOW_BUNDLE: bundlePath, TEST_DATABASE_ADMIN_URL: adminUrl, LOG_LEVEL: process.env.LOG_LEVEL ?? 'error' };
  delete env.DATABASE_URL;

  let code = 0;
  try {
    const files = testFiles(filter);
    code = await runNodeTests(files, { ...env, INTERLOCK_TEST_DB: 'postgres' });
    const pglite = files.filter((f) => PGLITE_PASS.includes(f));
    if (pglite.length) {
      process.stdout.write('\ntest: the core flow again on embedded PGlite\n');
      const pgliteCode = await runNodeTests(pglite, { ...env, INTERLOCK_TEST_DB: 'pglite' });
      code = code || pgliteCode;
    }
  } finally {
    await server.stop();
  }
  process.exit(code);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
