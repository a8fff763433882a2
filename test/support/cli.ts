import { spawn } from 'node:child_process';
import path from 'node:path';

const bin = path.join(import.meta.dirname, '..', '..', 'bin', 'interlock.js');

/** Runs `npx interlock <args>` as a separate process, as an operator would, with `env` over the test's own. */
export function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
