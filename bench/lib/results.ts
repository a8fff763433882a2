// bench/results/latest.json: every scenario's figures as data, next to the markdown in docs/BENCHMARKS.md.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { findTemporalCli, PROJECT_ROOT } from '../../devserver';

/** Where benchmarks write (INTERLOCK_BENCH_OUT: a test's scratch directory, so a quick run changes nothing committed). */
export function benchOut(): { doc: string; json: string } {
  const out = process.env.INTERLOCK_BENCH_OUT;
  return out ? { doc: path.join(out, 'BENCHMARKS.md'), json: path.join(out, 'latest.json') } : { doc: path.join(PROJECT_ROOT, 'docs', 'BENCHMARKS.md'), json: path.join(PROJECT_ROOT, 'bench', 'results', 'latest.json') };
}

/** Replaces this scenario's entry in latest.json, keeping the others. */
export function recordResults(scenario: string, figures: Record<string, unknown>, opts: { quick: boolean; command?: string }): void {
  const file = benchOut().json;
  mkdirSync(path.dirname(file), { recursive: true });
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    /* first run */
  }
  all[scenario] = {
    at: new Date().toISOString(),
    quick: opts.quick,
    command: opts.command ?? `npm run bench --${opts.quick ? ' --quick' : ''} ${scenario}`,
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.arch()}`, loadAverage: os.loadavg() },
    versions: versions(),
    figures,
  };
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
}

function versions(): Record<string, string> {
  const read = (p: string) => {
    try {
      return JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'node_modules', p, 'package.json'), 'utf8')).version as string;
    } catch {
      return 'unknown';
    }
  };
  let temporal = 'unknown';
  try {
    temporal = execFileSync(findTemporalCli({ explicit: process.env.TEMPORAL_CLI_PATH }), ['--version']).toString().trim();
  } catch {
    /* not installed: the figures still stand */
  }
  return { temporal, interlock: read('..'), '@temporalio/worker': read('@temporalio/worker'), '@temporalio/client': read('@temporalio/client'), pg: read('pg') };
}
