import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_NAMES } from '../workflows/search-attributes';

export interface DevServer {
  address: string;
  uiUrl: string | null;
  stop(): Promise<void>;
  /** Ends the server with SIGKILL, as a crash would (fault tests restart it from its SQLite file). */
  kill(): Promise<void>;
}

export interface DevServerOptions {
  binary: string;
  dataDir: string;
  port?: number;
  uiPort?: number | null;
  namespace?: string;
  dbFile?: string | null;
  onLog?: (line: string) => void;
  /** Partitions per task queue (the server's default is 4); the benchmarks compare both. */
  taskQueuePartitions?: number;
}

/**
 * Runs `temporal server start-dev` with SQLite persistence under the data dir (so pending approvals survive
 * a restart), our search attributes registered, and WAL pragmas so the single SQLite writer keeps up under load.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const port = opts.port ?? 7233;
  const namespace = opts.namespace ?? 'default';
  mkdirSync(opts.dataDir, { recursive: true });
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace, '--log-level', 'warn'];
  if (opts.dbFile !== null) args.push('--db-filename', opts.dbFile ?? path.join(opts.dataDir, 'temporal.db'));
  args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  if (opts.taskQueuePartitions !== undefined) {
    const n = String(opts.taskQueuePartitions);
    args.push('--dynamic-config-value', `matching.numTaskqueueReadPartitions=${n}`, '--dynamic-config-value', `matching.numTaskqueueWritePartitions=${n}`);
  }
  if (opts.uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(opts.uiPort ?? 8233));
  for (const name of SEARCH_ATTRIBUTE_NAMES) args.push('--search-attribute', `${name}=Keyword`);

  const child = spawn(opts.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const onData = (buf: Buffer) => {
    for (const line of buf.toString().split('\n').filter(Boolean)) {
      tail.push(line);
      if (tail.length > 30) tail.shift();
      opts.onLog?.(line);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Never leave an orphaned server behind, however this process ends.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));

  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const early = await Promise.race([exited, new Promise((r) => setTimeout(r, 250, 'waiting'))]);
    if (early !== 'waiting') throw new Error(`temporal dev server exited (code ${early}) before it was ready:\n${tail.join('\n')}`);
    if (await reachable(address, namespace)) break;
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`temporal dev server did not become ready on ${address} within 60 s:\n${tail.join('\n')}`);
    }
  }
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return { address, uiUrl: opts.uiPort === null ? null : `http://127.0.0.1:${opts.uiPort ?? 8233}`, stop: () => stopChild(child, exited), kill };
}

async function reachable(address: string, namespace: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1000 });
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => {});
  }
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
