import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../devserver';

export type Role = 'api' | 'worker';

/** One `node bin/interlock.js api|worker` child, started with its own environment. */
export interface RoleProcess {
  role: Role;
  pid: number;
  /** The API's listening URL, from its banner line (api only). */
  url: string;
  /** Its exit: the code, or the signal that ended it. */
  exited: Promise<number | NodeJS.Signals>;
  /** The last lines it printed, for a failure message. */
  tail(): string;
  /** Whether anything it printed so far matches. */
  saw(pattern: RegExp): boolean;
  /** SIGKILL, as a crash: no clean stop, nothing flushed. */
  kill(): Promise<void>;
  /** SIGTERM, and waits for the clean stop (SIGKILL after 20 s). */
  stop(): Promise<number | NodeJS.Signals>;
}

const BANNER: Record<Role, RegExp> = {
  api: /^interlock api: listening on (\S+)/m,
  worker: /^interlock worker: polling task queue /m,
};

/** Starts a role and resolves once its banner line says it serves (or rejects with its output when it exits first). */
export async function spawnRole(role: Role, env: NodeJS.ProcessEnv, readyWithinMs = 60_000, args: string[] = []): Promise<RoleProcess> {
  // ROLE_NODE_ARGS: node flags for the role (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where a bench's time goes).
  const nodeArgs = process.env.ROLE_NODE_ARGS ? process.env.ROLE_NODE_ARGS.split(' ').filter(Boolean) : [];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, path.join(PROJECT_ROOT, 'bin', 'interlock.js'), role, ...args], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let output = '';
  let onOutput = () => {};
  const collect = (buf: Buffer) => {
    output += buf.toString();
    for (const line of buf.toString().split('\n').filter(Boolean)) {
      lines.push(line);
      if (lines.length > 40) lines.shift();
    }
    onOutput();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | NodeJS.Signals>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 1)));
  const tail = () => `${role} (pid ${child.pid}) said:\n${lines.join('\n')}`;
  const banner = await new Promise<RegExpMatchArray>((resolve, reject) => {
    // A role that never says it serves is killed: left running, its pipes would keep the test process alive for ever.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${role} printed no banner within ${readyWithinMs} ms; ${tail()}`));
    }, readyWithinMs);
    onOutput = () => {
      const match = output.match(BANNER[role]);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${role} exited (${code}) before it served; ${tail()}`));
    });
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(force);
    return code;
  };
  return {
    role,
    pid: child.pid!,
    url: banner[1] ?? '',
    exited,
    tail,
    saw: (pattern) => pattern.test(output),
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop,
  };
}
