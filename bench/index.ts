// `npm run bench`: the benchmarks, each writing its figures into docs/BENCHMARKS.md (`-- --quick` for a smoke run).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A benchmark scenario module: `name` and `run` returning its markdown section. */
export interface Scenario {
  name: string;
  run(opts: { quick: boolean; log: (s: string) => void }): Promise<string>;
}

// Add a scenario by adding its module here.
const SCENARIO_MODULES = ['./policy', './audit', './mcp', './overhead', './decision', './pending', './scale-out'];

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const docFile = process.env.INTERLOCK_BENCH_OUT ? path.join(process.env.INTERLOCK_BENCH_OUT, 'BENCHMARKS.md') : path.join(root, 'docs', 'BENCHMARKS.md');
const HEADER = '# Benchmarks\n\nWritten by `npm run bench`; each section is replaced when its scenario runs, so every figure here comes from the command shown with it.\n';

/** Replaces (or appends) the section between this scenario's markers, leaving the others untouched. */
export function replaceSection(doc: string, name: string, body: string): string {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from !== -1 && to > from) return doc.slice(0, from) + block + doc.slice(to + end.length);
  return `${doc.trimEnd()}\n\n${block}\n`;
}

async function main(argv: string[]): Promise<number> {
  const quick = argv.includes('--quick');
  const wanted = argv.filter((a) => !a.startsWith('--'));
  const scenarios = await Promise.all(SCENARIO_MODULES.map(async (m) => (await import(m)) as Scenario));
  const unknown = wanted.filter((w) => !scenarios.some((s) => s.name === w));
  if (unknown.length > 0) {
    console.error(`unknown scenario ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}`);
    return 2;
  }
  const command = `npm run bench --${quick ? ' --quick' : ''}${wanted.length ? ' ' + wanted.join(' ') : ''}`;
  const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}, ${os.platform()} ${os.arch()}`;
  await mkdir(path.dirname(docFile), { recursive: true });
  for (const scenario of scenarios.filter((s) => wanted.length === 0 || wanted.includes(s.name))) {
    console.log(`bench: running ${scenario.name}${quick ? ' (quick)' : ''}`);
    const started = Date.now();
    const body = await scenario.run({ quick, log: (s) => console.log(`  ${s}`) });
    const section = `## ${scenario.name}\n\n_${new Date().toISOString()} · ${machine} · \`${command}\`_\n\n${body}`;
    const doc = await readFile(docFile, 'utf8').catch(() => HEADER);
    await writeFile(docFile, replaceSection(doc, scenario.name, section));
    console.log(`bench: ${scenario.name} done in ${((Date.now() - started) / 1000).toFixed(1)} s, written to ${path.relative(process.cwd(), docFile)}`);
  }
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
