import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { TOOLS_VENV } from './temporal-cli';

/** Pinned: Schemathesis 4 changed its flags and checks; the fuzz script is written against this one. */
export const SCHEMATHESIS_VERSION = '4.32.5';
export const SCHEMATHESIS = path.join(TOOLS_VENV, 'bin', 'schemathesis');

/** Thrown when Schemathesis cannot be installed; says what failed. */
export class FuzzToolsError extends Error {
  override readonly name = 'FuzzToolsError';
}

/** Installs the pinned Schemathesis (PyPI) into `.tools/venv`, creating the venv when missing; no-op when present. */
export function installSchemathesis(log: (line: string) => void): string {
  const installed = spawnSync(SCHEMATHESIS, ['--version'], { encoding: 'utf8' });
  if (installed.status === 0 && installed.stdout.includes(SCHEMATHESIS_VERSION)) return SCHEMATHESIS;
  const run = (cmd: string, args: string[]) => {
    log(`$ ${[cmd, ...args].join(' ')}`);
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new FuzzToolsError(`${cmd} ${args.join(' ')} failed (exit ${r.status})`);
  };
  if (!existsSync(path.join(TOOLS_VENV, 'bin', 'pip'))) run('python3', ['-m', 'venv', TOOLS_VENV]);
  run(path.join(TOOLS_VENV, 'bin', 'pip'), ['install', '--disable-pip-version-check', '--progress-bar', 'off', `schemathesis==${SCHEMATHESIS_VERSION}`]);
  return SCHEMATHESIS;
}
