import type { Channel } from '../channels';
import { startWorker, type RunningWorker } from '../worker';
import type { InterlockProcess } from './process';

export interface WorkerRole {
  taskQueue: string;
  /** Settles when the worker has stopped, by a shutdown or on its own (an error). */
  done: Promise<void>;
}

/** Polls the task queue: runs the workflows and the activities, which notify through `channels`. */
export async function startWorkerRole(p: InterlockProcess, opts: { address: string; channels: readonly Channel[] }): Promise<WorkerRole> {
  const worker: RunningWorker = await startWorker(p.services, { address: opts.address, channels: opts.channels });
  p.lifecycle.add('worker', () => worker.shutdown());
  return { taskQueue: p.config.taskQueue, done: worker.done };
}
