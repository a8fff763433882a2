import { Worker } from 'node:worker_threads';
import type { RangeScan, RangeScanner, SeqRange } from './range-scan';

/**
 * Scans ranges in worker threads, each with its own Postgres connection, so hashing uses every core and
 * Postgres serves several COPY streams at once. The workers are TypeScript like the rest, so each starts
 * by registering tsx (a no-op twice over when the parent already runs under it).
 */
export async function parallelScanner(opts: { databaseUrl: string; workers: number }): Promise<RangeScanner> {
  const workerUrl = new URL('./scan-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(workerUrl)}); })`;
  const waiting = new Map<number, { resolve: (s: RangeScan) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  const workers = await Promise.all(
    Array.from({ length: Math.max(1, opts.workers) }, () => {
      const worker = new Worker(boot, { eval: true, workerData: { databaseUrl: opts.databaseUrl } });
      return new Promise<{ worker: Worker; busy: number }>((resolve, reject) => {
        worker.once('error', reject);
        worker.on('message', (msg: { ready?: true; id?: number; scan?: RangeScan; error?: string }) => {
          if (msg.ready) return resolve(entry);
          const pending = waiting.get(msg.id!);
          waiting.delete(msg.id!);
          entry.busy -= 1;
          if (msg.error !== undefined) pending?.reject(new Error(msg.error));
          else pending?.resolve(msg.scan!);
        });
        const entry = { worker, busy: 0 };
      });
    }),
  );
  for (const { worker } of workers) worker.on('error', (err) => waiting.forEach((w) => w.reject(err)));
  return {
    concurrency: workers.length * 2, // one range queued behind each running one keeps every worker busy
    scan(range: SeqRange): Promise<RangeScan> {
      const target = workers.reduce((a, b) => (b.busy < a.busy ? b : a));
      target.busy += 1;
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        target.worker.postMessage({ id, range });
      });
    },
    async close() {
      await Promise.all(workers.map(({ worker }) => new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.postMessage({ id: -1, range: null });
      })));
    },
  };
}
