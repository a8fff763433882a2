import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureTestServer, findTemporalCli, PROJECT_ROOT, startDevServer } from '../../devserver';
import { bundleWorkflows } from '../../worker';

/**
 * What every test process of one run shares: a Temporal dev server (in memory, headless), the workflow code
 * bundled once, and the Postgres to make per-file databases in. `env` is what the test processes get.
 */
export async function startTestEnvironment(log: (line: string) => void = (l) => process.stdout.write(`${l}\n`), opts: { taskQueuePartitions?: number } = {}): Promise<{ env: NodeJS.ProcessEnv; stop: () => Promise<void> }> {
  const workDir = path.join(PROJECT_ROOT, '.data', 'test');
  mkdirSync(workDir, { recursive: true });
  const binary = findTemporalCli({ explicit: process.env.TEMPORAL_CLI_PATH });
  ensureTestServer(); // the workflow unit tests' time-skipping server
  const port = 17000 + Math.floor(Math.random() * 2000);
  log(`test: starting Temporal dev server on 127.0.0.1:${port}${opts.taskQueuePartitions ? `, ${opts.taskQueuePartitions} partition(s) per task queue` : ''}`);
  const server = await startDevServer({ binary, dataDir: workDir, port, uiPort: null, dbFile: null, taskQueuePartitions: opts.taskQueuePartitions });

  log('test: bundling workflow code once for all test files');
  const bundle = await bundleWorkflows();
  const bundlePath = path.join(workDir, `workflow-bundle-${process.pid}.js`);
  writeFileSync(bundlePath, bundle.code);

  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_CLI_PATH: binary, INTERLOCK_WORKFLOW_BUNDLE: bundlePath, TEST_DATABASE_ADMIN_URL: adminUrl, LOG_LEVEL: process.env.LOG_LEVEL ?? 'error' };
  delete env.DATABASE_URL;
  return {
    env,
    stop: async () => {
      await server.stop();
      rmSync(bundlePath, { force: true });
    },
  };
}
