/**
 * `npm run test:faults [-- --runs N] [name ...]`: runs each fault test N times (default 20), one run at a time,
 * against one Temporal dev server and the test Postgres, and prints per test: runs, passes, effects per action,
 * lost events and duration; the same table goes to docs/FAULTS.md. Each run is a fresh `node --test` process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../devserver';
import { startTestEnvironment } from '../support/test-environment';
import type { FaultFigures } from './harness';

interface Run {
  passed: boolean;
  seconds: number;
  figures: FaultFigures[];
  tail: string;
}

function parse(argv: string[]): { runs: number; names: string[] } {
  let runs = 20;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') runs = Number(argv[++i]);
    else if (argv[i].startsWith('--runs=')) runs = Number(argv[i].slice(7));
    else names.push(argv[i]);
  }
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs needs a whole number of 1 or more');
  return { runs, names };
}

function runOnce(file: string, env: NodeJS.ProcessEnv, figuresFile: string): Promise<Run> {
  writeFileSync(figuresFile, '');
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', file], { cwd: PROJECT_ROOT, env: { ...env, FAULT_FIGURES: figuresFile }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      const figures = readFileSync(figuresFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as FaultFigures);
      resolve({ passed: code === 0, seconds: (Date.now() - started) / 1000, figures, tail: output.split('\n').slice(-40).join('\n') });
    }),
  );
}

const range = (xs: number[], unit = '') => (xs.length === 0 ? 'n/a' : Math.min(...xs) === Math.max(...xs) ? `${xs[0]}${unit}` : `${Math.min(...xs)}–${Math.max(...xs)}${unit}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Extra figures a test reports (deliveries, redeliveries, outage length...), summarised as min–max. */
function extras(figures: FaultFigures[]): string {
  const keys = new Set(figures.flatMap((f) => Object.keys(f)).filter((k) => !['test', 'actions', 'effectsPerAction', 'lostEvents', 'seconds'].includes(k)));
  return [...keys]
    .map((k) => {
      const values = figures.map((f) => f[k]);
      if (values.every((v) => typeof v === 'number')) return `${k} ${range(values as number[])}`;
      return `${k} ${[...new Set(values.map((v) => JSON.stringify(v)))].slice(0, 3).join(' / ')}`;
    })
    .join('; ');
}

/** The table of every file run so far, written to docs/FAULTS.md (after each run, so a long run that is stopped keeps what it measured). */
function writeReport(results: Map<string, Run[]>, runs: number, names: string[], startedAt: Date, pending: string[]): { table: string; allPassed: boolean } {
  // A file with more than one case (the kill test: http and postgres) gets a row per case it reported.
  const rows = [...results].flatMap(([name, list]) => {
    const all = list.flatMap((r) => r.figures);
    const cases = [...new Set(all.map((f) => f.test))];
    const seconds = list.map((r) => r.seconds);
    return (cases.length > 1 ? cases : [null]).map((testName) => {
      const figures = testName === null ? all : all.filter((f) => f.test === testName);
      return {
        name: testName ?? name,
        runs: list.length,
        passes: list.filter((r) => r.passed).length,
        actions: range(figures.map((f) => f.actions)),
        effects: range(figures.map((f) => f.effectsPerAction)),
        lost: figures.length ? String(figures.reduce((n, f) => n + f.lostEvents, 0)) : 'n/a',
        duration: `${median(seconds).toFixed(1)} s (max ${Math.max(...seconds).toFixed(1)} s)${cases.length > 1 ? ' per file' : ''}`,
        extras: extras(figures),
      };
    });
  });
  const table = [
    '| test | runs | passes | actions per run | effects per action | lost events (all runs) | duration, median (max) | other figures (min–max) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.name} | ${r.runs} | ${r.passes} | ${r.actions} | ${r.effects} | ${r.lost} | ${r.duration} | ${r.extras || ''} |`),
  ].join('\n');
  const doc = `# Fault test figures

Written by \`npm run test:faults -- --runs ${runs}${names.length ? ' ' + names.join(' ') : ''}\` (${startedAt.toISOString()}, ${os.cpus().length} CPUs, Node ${process.version}); each run is a fresh process
against real child processes (\`interlock api\`, \`interlock worker\`), a real Temporal dev server and a real Postgres. What each
test does: [docs/operations.md](operations.md#fault-tests).

${table}
${pending.length ? `\nStill running when this was written: ${pending.join(', ')}.\n` : ''}
"effects per action" is the number of distinct effects the sink applied for each action (by Idempotency-Key), or for the postgres
target the statement's effect on its row with the action's ledger row: 1 is exactly once.
"lost events" counts audit events a workflow wrote that are missing from the trail, over all runs; each run also checks that
no event is there twice and that \`interlock audit verify\` exits 0.
`;
  writeFileSync(path.join(PROJECT_ROOT, 'docs', 'FAULTS.md'), doc);
  return { table, allPassed: rows.every((r) => r.passes === r.runs) };
}

async function main() {
  const { runs, names } = parse(process.argv.slice(2));
  const dir = path.join(PROJECT_ROOT, 'test', 'faults');
  // In the order the names were given (the quick ones first, say), else the directory's.
  const all = readdirSync(dir).filter((f) => f.endsWith('.test.ts'));
  const picked = names.length === 0 ? all : names.flatMap((n) => all.filter((f) => f.includes(n)));
  const files = [...new Set(picked)].map((f) => path.join('test', 'faults', f));
  const { env, stop } = await startTestEnvironment();
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'interlock-faults-'));
  const results = new Map<string, Run[]>();
  const startedAt = new Date();
  try {
    for (const file of files) {
      const name = path.basename(file, '.test.ts');
      const list: Run[] = [];
      results.set(name, list);
      for (let i = 1; i <= runs; i++) {
        const run = await runOnce(file, env, path.join(scratch, `${name}.jsonl`));
        list.push(run);
        const f = run.figures;
        const note = f.length ? `effects/action ${range(f.map((x) => x.effectsPerAction))}, lost events ${f.reduce((n, x) => n + x.lostEvents, 0)}` : 'no figures (placeholder or failed early)';
        process.stdout.write(`faults: ${name} run ${i}/${runs}: ${run.passed ? 'pass' : 'FAIL'} in ${run.seconds.toFixed(1)} s (${note})\n`);
        if (!run.passed) process.stdout.write(`${run.tail}\n`);
        const rest = files.slice(files.indexOf(file) + 1).map((f) => path.basename(f, '.test.ts'));
        writeReport(results, runs, names, startedAt, i < runs ? [`${name} (${i} of ${runs} runs done)`, ...rest] : rest);
      }
    }
  } finally {
    await stop();
    rmSync(scratch, { recursive: true, force: true });
  }

  const { table, allPassed } = writeReport(results, runs, names, startedAt, []);
  process.stdout.write(`\n${table}\n`);
  process.stdout.write('\nfaults: written to docs/FAULTS.md\n');
  process.exit(allPassed ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
