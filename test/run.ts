/**
 * `npm test`: starts one Temporal dev server (in memory, headless) for the whole run, bundles the workflow
 * code once, then runs every test file with node's test runner against it and a real Postgres
 * (DATABASE_URL, else the local server's `postgres` database to create per-file databases in).
 * The PGlite pass re-runs the core flow on the embedded database.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../devserver';
import { startTestEnvironment } from './support/test-environment';

const PGLITE_PASS = ['test/integration/action-flow.test.ts'];
/** Run alone after the rest: the quick benchmarks load the machine, and timing-sensitive tests beside them would flake. */
const ALONE_PASS = ['test/bench/bench-quick.test.ts'];

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
  const { env, stop } = await startTestEnvironment();

  let code = 0;
  try {
    const files = testFiles(filter);
    // FAULT_QUICK: the fault tests' largest counts shrink here; `npm run test:faults` runs them at the issue's size.
    code = await runNodeTests(files, { ...env, INTERLOCK_TEST_DB: 'postgres', FAULT_QUICK: '1' });
    const alone = ALONE_PASS.filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)));
    if (alone.length) {
      process.stdout.write('\ntest: the quick benchmarks, alone\n');
      const aloneCode = await runNodeTests(alone, { ...env, INTERLOCK_TEST_DB: 'postgres' });
      code = code || aloneCode;
    }
    const pglite = files.filter((f) => PGLITE_PASS.includes(f));
    if (pglite.length) {
      process.stdout.write('\ntest: the core flow again on embedded PGlite\n');
      const pgliteCode = await runNodeTests(pglite, { ...env, INTERLOCK_TEST_DB: 'pglite' });
      code = code || pgliteCode;
    }
  } finally {
    await stop();
  }
  process.exit(code);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
