import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = process.env.POSTGRES_BIN_DIR ?? '/usr/lib/postgresql/15/bin';

/** A Postgres cluster of this test's own, so stopping it disturbs no other test (the shared server on 5432 stays up). */
export interface PrivatePostgres {
  url: string;
  /** `pg_ctl stop -m immediate`: the server ends at once, as in a crash (recovery replays the WAL on start). */
  crash(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** initdb in a temporary directory (as user postgres when run as root), listening on 127.0.0.1:`port` only, trust auth. */
export async function startPrivatePostgres(port = 20000 + Math.floor(Math.random() * 5000)): Promise<PrivatePostgres> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'interlock-pg-'));
  chmodSync(dir, 0o777);
  const data = path.join(dir, 'data');
  const asOwner = (cmd: string, args: string[]) =>
    process.getuid?.() === 0 ? run('runuser', ['-u', 'postgres', '--', path.join(BIN, cmd), ...args]) : run(path.join(BIN, cmd), args);
  await asOwner('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200`;
  const start = async () => void (await asOwner('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', 'start']));
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    crash: async () => void (await asOwner('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])),
    start,
    destroy: async () => {
      await asOwner('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
