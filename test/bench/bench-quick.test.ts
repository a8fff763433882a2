import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../../devserver';

/**
 * `npm run bench -- --quick` of the Temporal-side scenarios, so they never rot: each runs end to end and writes its
 * section and its figures (into a scratch directory, not the committed docs). Nothing here asserts a timing.
 */
const SCENARIOS = ['overhead', 'decision-to-execution', 'pending', 'scale-out'];

test('the quick benchmarks run and write every section and figure', { timeout: 900_000 }, async () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'interlock-bench-quick-'));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'bench', 'index.ts'), '--quick', ...SCENARIOS], { cwd: PROJECT_ROOT, env: { ...process.env, INTERLOCK_BENCH_OUT: out }, stdio: ['ignore', 'pipe', 'pipe'] });
  let said = '';
  child.stdout.on('data', (b: Buffer) => void (said += b.toString()));
  child.stderr.on('data', (b: Buffer) => void (said += b.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  assert.equal(code, 0, said.slice(-4000));
  const doc = readFileSync(path.join(out, 'BENCHMARKS.md'), 'utf8');
  const json = JSON.parse(readFileSync(path.join(out, 'latest.json'), 'utf8'));
  for (const s of SCENARIOS) {
    assert.match(doc, new RegExp(`<!-- bench:${s}:start -->[\\s\\S]*\\| [\\s\\S]*<!-- bench:${s}:end -->`), `${s}: a section with a table`);
    assert.equal(json[s]?.quick, true, s);
    assert.ok(json[s].machine?.cores >= 1 && json[s].versions?.['@temporalio/worker'], `${s}: machine and versions`);
  }
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  assert.ok(num(json.overhead.figures.sequential.interlock.p50) && num(json.overhead.figures.c50.ratio.throughput), 'overhead figures');
  assert.ok(json.overhead.figures.counts.interlock.events > 0 && json.overhead.figures.counts.baseline.activities === 1, 'history counts of both sides');
  assert.ok(num(json['decision-to-execution'].figures.toExecutionMs.p99), 'decision to execution');
  assert.ok(num(json.pending.figures.workerRssMb.pending) && num(json.pending.figures.getMs.p99), 'pending memory and latency');
  assert.ok(num(json['scale-out'].figures.ratio.interlock) && num(json['scale-out'].figures.ratio.baseline), 'scale-out ratios');
});
