// `tsx bench/baseline/worker.ts <task queue>`: a plain Temporal worker for the baseline workflow, in its own process
// like Interlock's worker. Prints a banner once it polls; stops on SIGTERM.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import * as activities from './activities';

const taskQueue = process.argv[2];
if (!taskQueue) throw new Error('usage: baseline/worker.ts <task queue>');
const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
const worker = await Worker.create({
  connection,
  taskQueue,
  workflowsPath: path.join(path.dirname(fileURLToPath(import.meta.url)), 'workflow.ts'),
  activities,
  bundlerOptions: { ignoreModules: [] },
});
process.once('SIGTERM', () => worker.shutdown());
const running = worker.run();
process.stdout.write(`baseline worker: polling task queue ${taskQueue}\n`);
await running;
await connection.close();
