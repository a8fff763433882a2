// Does another API and worker add throughput? The overhead scenario's load (auto-allowed http actions at
// concurrency 50) with one `interlock api` and one `interlock worker`, then two of each, against the baseline with
// one worker and then two, on the same dev server.
import { batch } from './overhead';
import { recordResults } from './lib/results';
import { load, pct, startBenchWorld } from './lib/world';

export const name = 'scale-out';

export async function run(opts: { quick: boolean; log: (s: string) => void }): Promise<string> {
  const count = opts.quick ? 40 : 800;
  const concurrency = 50;
  const world = await startBenchWorld(opts.log);
  try {
    const figures: Record<string, { perSecond: number; p50: number; p99: number }> = {};
    const measure = async (key: string, run: (n: string) => ReturnType<typeof world.baselineRun>) => {
      opts.log(`scale-out: ${key}, ${count} at concurrency ${concurrency}`);
      await batch(run, `${key}-warm`, opts.quick ? 5 : 20, 5);
      const r = await batch(run, key, count, concurrency);
      figures[key] = { perSecond: r.perSecond, p50: pct(r.runs.map((x) => x.ms), 50), p99: pct(r.runs.map((x) => x.ms), 99) };
    };
    await world.startBaselineWorker();
    await measure('baseline-1', (n) => world.baselineRun(n));
    await world.startBaselineWorker();
    await measure('baseline-2', (n) => world.baselineRun(n));
    await world.stopBaselineWorkers();

    await world.startApi();
    await world.startWorker();
    let turn = 0;
    const spread = (n: string) => world.interlockRun(world.apis[turn++ % world.apis.length], n);
    await measure('interlock-1', spread);
    await world.startApi();
    await world.startWorker();
    await measure('interlock-2', spread);

    const ratio = { interlock: figures['interlock-2'].perSecond / figures['interlock-1'].perSecond, baseline: figures['baseline-2'].perSecond / figures['baseline-1'].perSecond };
    recordResults(name, { count, concurrency, ...figures, ratio }, opts);
    const row = (label: string, key: string) => `| ${label} | ${figures[key].perSecond.toFixed(1)} | ${figures[key].p50.toFixed(0)} | ${figures[key].p99.toFixed(0)} |`;
    return [
      `Auto-allowed http actions at concurrency ${concurrency} (${count} each), REST submit to \`succeeded\` as in the overhead scenario, spread over the API processes in turn; the baseline started through the client. Every process on one 2-core machine with the dev server and Postgres.`,
      '',
      `Load average at the end (1 / 5 / 15 min): ${load()}.`,
      '',
      '| setup | actions/s | p50 ms | p99 ms |',
      '| --- | ---: | ---: | ---: |',
      row('baseline, 1 worker', 'baseline-1'),
      row('baseline, 2 workers', 'baseline-2'),
      row('Interlock, 1 API + 1 worker', 'interlock-1'),
      row('Interlock, 2 APIs + 2 workers', 'interlock-2'),
      '',
      `Throughput ratio of two over one: Interlock ${ratio.interlock.toFixed(2)}, baseline ${ratio.baseline.toFixed(2)}.`,
      '',
      "What this shows and what it does not: here every process shares two cores with the Temporal dev server (one process, one SQLite writer: its history writes are serialised) and with Postgres, so a second process mostly competes for the same CPU. When the baseline does not scale either, the limit is the machine and the dev server, not Interlock. On a cluster (Temporal's services on their own hosts with a Postgres or Cassandra persistence, shards spread over history hosts) and API and worker replicas on their own cores, throughput grows with the replicas until the persistence's write rate is the limit; Interlock's own shared state is Postgres (the audit chain's one advisory lock per append batch), which the `audit` scenario measures.",
    ].join('\n');
  } finally {
    await world.close();
  }
}
