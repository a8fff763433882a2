import { fork, type ChildProcess } from 'node:child_process';

/**
 * Forks one process per `args` running `script` (an ES module body under tsx), waits until every one has sent
 * 'ready', then sends each 'go' at once and resolves with the first message each sends back: a start-up race
 * made as tight as processes allow. The children stay alive for the caller to end.
 */
export async function raceProcesses(script: string, args: string[][]): Promise<{ children: ChildProcess[]; answers: unknown[] }> {
  const children = args.map((a) => fork('-e', [script, ...a], { execArgv: ['--import', 'tsx', '--input-type=module'] }));
  const next = (child: ChildProcess) =>
    new Promise<unknown>((resolve, reject) => {
      child.once('message', resolve);
      child.once('error', reject);
      child.once('exit', (code) => code !== 0 && reject(new Error(`racer exited ${code}`)));
    });
  await Promise.all(children.map(next));
  const answers = children.map(next);
  for (const child of children) child.send('go');
  return { children, answers: await Promise.all(answers) };
}
