import { readFile } from 'node:fs/promises';
import { UsageError } from './args';
import type { CliIo } from './io';
import { type CompiledPolicy, compilePolicy, formatProblem, formatReplayReport, parseDuration, PolicyError, replayPolicy, runPolicyTests } from '../policy';

const USAGE = 'usage: interlock policy check|test|replay [file] [--since 7d] [--until <time>] [--examples 3]';

/** `interlock policy check|test|replay`: returns the exit code (0 ok, 1 problems found, 2 bad invocation). */
export async function policyCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    const { file, flags } = parseArgs(rest, io.env);
    if (sub === 'check') return await check(file, io);
    if (sub === 'test') return await test(file, io);
    if (sub === 'replay') return await replay(file, flags, io);
    io.err(sub ? `unknown policy command "${sub}"; ${USAGE}` : USAGE);
    return 2;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}; ${USAGE}`);
      return 2;
    }
    throw err;
  }
}

function parseArgs(args: string[], env: NodeJS.ProcessEnv): { file: string; flags: Map<string, string> } {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split(/=(.*)/s);
    const value = inline ?? args[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    flags.set(name, value);
  }
  if (positional.length > 1) throw new UsageError(`expected at most one policy file, got ${positional.join(' ')}`);
  return { file: positional[0] ?? env.INTERLOCK_POLICY ?? 'policy.yaml', flags };
}

/** Reads and compiles; on failure prints why (every problem with file:line) and returns null. */
async function load(file: string, io: CliIo): Promise<CompiledPolicy | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    io.err(`cannot read policy file ${file} (${(err as NodeJS.ErrnoException).code ?? err}); pass a file or set INTERLOCK_POLICY`);
    return null;
  }
  try {
    return compilePolicy(text, { source: file });
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    for (const p of err.problems) io.err(formatProblem(file, p));
    io.err(`${err.problems.length} problem(s) in ${file}`);
    return null;
  }
}

async function check(file: string, io: CliIo): Promise<number> {
  const policy = await load(file, io);
  if (!policy) return 1;
  io.out(`ok: ${policy.rules.length} rules, version ${policy.version}`);
  return 0;
}

async function test(file: string, io: CliIo): Promise<number> {
  const policy = await load(file, io);
  if (!policy) return 1;
  const report = runPolicyTests(policy);
  for (const r of report.results.filter((x) => !x.ok)) {
    io.out(`FAIL ${file}:${r.line ?? '?'} rule "${r.ruleId}" test ${r.index + 1}: ${r.diff}`);
  }
  io.out(`${report.passed} passed, ${report.failed} failed`);
  return report.failed > 0 ? 1 : 0;
}

async function replay(file: string, flags: Map<string, string>, io: CliIo): Promise<number> {
  for (const name of flags.keys()) if (!['since', 'until', 'examples'].includes(name)) throw new UsageError(`unknown option --${name}`);
  const now = new Date();
  const since = parseTime(flags.get('since') ?? '7d', now, 'since');
  const until = flags.has('until') ? parseTime(flags.get('until') as string, now, 'until') : undefined;
  const examples = Number(flags.get('examples') ?? 3);
  if (!Number.isInteger(examples) || examples < 0) throw new UsageError(`--examples must be a whole number, got ${flags.get('examples')}`);
  const candidate = await load(file, io);
  if (!candidate) return 1;
  const { openDatabase } = await import('../db'); // only replay needs the database driver
  const where = io.env.DATABASE_URL ? 'DATABASE_URL' : `the embedded database in ${io.env.INTERLOCK_DATA_DIR ?? '.data'}`;
  let database: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    database = await openDatabase({ url: io.env.DATABASE_URL, dataDir: io.env.INTERLOCK_DATA_DIR ?? '.data' });
    io.out(formatReplayReport(await replayPolicy({ db: database.db, candidate, since, until, examplesPerRule: examples })));
    return 0;
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause ?? (err as Error); // drizzle wraps the driver's error
    io.err(`replay could not read the audit trail from ${where}: ${cause.message.split('\n')[0]}; run npm start once (it migrates) or set DATABASE_URL / INTERLOCK_DATA_DIR`);
    return 1;
  } finally {
    await database?.close();
  }
}

/** `7d` means seven days before now; anything else must be a timestamp. */
function parseTime(text: string, now: Date, flag: string): Date {
  const seconds = parseDuration(text);
  if (seconds !== null) return new Date(now.getTime() - seconds * 1000);
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) throw new UsageError(`--${flag} must be a duration like 7d or a timestamp like 2026-01-31T00:00:00Z, got "${text}"`);
  return at;
}
