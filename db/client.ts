import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle as drizzlePg, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import * as schema from './schema';

export type Db = NodePgDatabase<typeof schema>;

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** Runs the committed drizzle-kit migrations. Safe to call on every start. */
  migrate(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * LISTENs on `channel` on a connection of its own: `onMessage` for each NOTIFY, `onState(false)` when the connection
   * is lost (it reconnects and says `onState(true)` again). Returns how to stop.
   */
  listen(channel: string, onMessage: (payload: string) => void, onState: (listening: boolean) => void): Promise<() => Promise<void>>;
}

const migrationsFolder = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Postgres when `url` is given, otherwise embedded PGlite under `dataDir`; one schema and one set of migrations for both. */
export async function openDatabase(opts: { url?: string; dataDir: string; poolSize?: number }): Promise<Database> {
  if (opts.url) {
    const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize ?? 10 });
    pool.on('error', () => {}); // idle client errors surface on the next query instead of crashing the process
    const db = drizzlePg(pool, { schema });
    return {
      db,
      kind: 'postgres',
      migrate: () => explainFailure(migrateUnderLock(pool)),
      ping: async () => void (await pool.query('select 1')),
      close: () => pool.end(),
      listen: (channel, onMessage, onState) => listenPostgres(opts.url!, channel, onMessage, onState),
    };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const dir = path.join(opts.dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  const releaseLock = lockEmbeddedDatabase(dir);
  const client = new PGlite(dir);
  await client.waitReady;
  // drizzle's PGlite and node-postgres databases share the query-builder API; one type serves both.
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    migrate: () => explainFailure(migratePglite(db as never, { migrationsFolder })),
    ping: async () => void (await client.query('select 1')),
    close: async () => {
      await client.close();
      releaseLock();
    },
    listen: async (channel, onMessage, onState) => {
      const stop = await client.listen(channel, onMessage);
      onState(true); // one process, one connection: nothing to lose
      return () => stop();
    },
  };
}

/** A dedicated client (LISTEN needs its session); lost, it reconnects with a capped back-off. */
async function listenPostgres(url: string, channel: string, onMessage: (payload: string) => void, onState: (listening: boolean) => void): Promise<() => Promise<void>> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`bad channel name ${channel}`);
  let stopped = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;
  let pause = 200;
  const connect = async () => {
    if (stopped) return;
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 }); // a connect that hangs is lost, and retried
    const lost = () => {
      if (client !== c) return;
      client = null;
      onState(false);
      c.end().catch(() => {});
      if (!stopped) retry = setTimeout(connect, pause);
      pause = Math.min(pause * 2, 5000);
    };
    c.on('error', lost);
    c.on('end', lost);
    c.on('notification', (n) => n.channel === channel && onMessage(n.payload ?? ''));
    client = c;
    try {
      await c.connect();
      await c.query(`listen ${channel}`);
      pause = 200;
      if (client === c) onState(true);
    } catch {
      lost();
    }
  };
  await connect();
  return async () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    const c = client;
    client = null;
    await c?.end().catch(() => {});
  };
}

/**
 * Any number of API and worker processes may start at once and each migrates: a session advisory lock
 * makes them take turns, so the second finds the migrations applied instead of racing to apply them.
 * Held on one connection, so a process that dies while migrating releases it with its socket.
 */
const MIGRATION_LOCK_KEY = 7_346_000;

async function migrateUnderLock(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await migratePg(drizzlePg(client, { schema }), { migrationsFolder });
  } finally {
    // A failed unlock means a broken connection: it is dropped (and the lock with it), never reused.
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch((err: Error) => (broken = err));
    client.release(broken);
  }
}

/**
 * drizzle reports a failed migration as "Failed query: <the whole migration's SQL>" with the database's
 * error as the cause; a person needs the cause, and its hint when the migration gave one.
 */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

async function explainFailure(migrating: Promise<void>): Promise<void> {
  try {
    await migrating;
  } catch (err) {
    const cause = (err as { cause?: { message?: string; hint?: string } }).cause;
    if (!cause?.message) throw err;
    throw new MigrationError(`database migration failed, nothing was changed: ${cause.message}${cause.hint ? `\n${cause.hint}` : ''}`, { cause: err });
  }
}

/** Thrown when another process has the embedded database open: PGlite serves one process at a time. */
export class DatabaseInUseError extends Error {
  override readonly name = 'DatabaseInUseError';
  constructor(readonly dir: string, readonly pid: number) {
    super(`the embedded database ${dir} is in use by process ${pid} (npm start?); stop it first, use the API (e.g. GET /v1/audit/verify), or set DATABASE_URL to a Postgres both can share`);
  }
}

/** A pid file beside the data: a second process is refused instead of corrupting it; a stale file is taken over. */
function lockEmbeddedDatabase(dir: string): () => void {
  const file = path.join(dir, '..', 'pglite.lock');
  // The pid is written to a file of this process's own and linked into place, so another process starting at
  // the same moment never reads the lock half-written (an empty pid it would take for stale).
  const scratch = `${file}.${process.pid}.tmp`;
  writeFileSync(scratch, String(process.pid));
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(scratch, file);
        return () => rmSync(file, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const pid = Number(readFileSync(file, 'utf8'));
        if (pid && pid !== process.pid && isAlive(pid)) throw new DatabaseInUseError(dir, pid);
        rmSync(file, { force: true });
      }
    }
  } finally {
    rmSync(scratch, { force: true });
  }
  throw new Error(`could not lock ${file}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export { schema };
