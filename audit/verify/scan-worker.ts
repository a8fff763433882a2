import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../../db';
import { scanRange, type SeqRange } from './range-scan';

/** A worker thread of `parallelScanner`: its own connection, one range at a time, the scan posted back. */
const database = await openDatabase({ url: (workerData as { databaseUrl: string }).databaseUrl, dataDir: '', poolSize: 1 });
parentPort!.on('message', async ({ id, range }: { id: number; range: SeqRange | null }) => {
  if (range === null) return void (await database.close(), parentPort!.close());
  try {
    parentPort!.postMessage({ id, scan: await scanRange(database.db, range) });
  } catch (err) {
    parentPort!.postMessage({ id, error: (err as Error).message ?? String(err) });
  }
});
parentPort!.postMessage({ ready: true });
