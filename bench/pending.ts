// Thousands of actions waiting for people: the worker's memory with 10,000 pending (its workflow cache bounded by
// INTERLOCK_WORKER_CACHE, so an evicted workflow replays on its next vote), and what the API answers meanwhile.
import { approveAndTime } from './decision';
import { recordResults } from './lib/results';
import { inParallel, load, ms, pct, startBenchWorld, REQUESTER } from './lib/world';

export const name = 'pending';

const TARGETS = { workerRssMb: 400, p99Ms: 200 };
const MB = 1024 * 1024;

/** One sample of a Prometheus exposition text, or null. */
function sample(text: string, metric: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${metric} `));
  return line ? Number(line.split(' ')[1]) : null;
}

/** Seconds without load after the submissions before the worker's memory is judged. */
const SETTLE_SECONDS = 15;

export async function run(opts: { quick: boolean; log: (s: string) => void }): Promise<string> {
  const total = Number(process.env.BENCH_PENDING_TOTAL) || (opts.quick ? 150 : 10_000);
  const sampled = opts.quick ? 10 : 200;
  const settleSeconds = opts.quick ? 5 : SETTLE_SECONDS;
  const world = await startBenchWorld(opts.log);
  try {
    const api = await world.startApi();
    const metricsPort = 19_000 + Math.floor(Math.random() * 900);
    const worker = await world.startWorker(metricsPort);
    const heap = async () => {
      const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text(), () => '');
      return sample(text, 'interlock_process_nodejs_heap_size_used_bytes');
    };
    const before = { rss: world.rssBytes(worker.pid), heap: await heap() };
    opts.log(`pending: submitting ${total} actions that need an approval (concurrency 16)`);
    const ids: string[] = [];
    let peak = before.rss ?? 0;
    const started = performance.now();
    await inParallel([...Array(total).keys()], 16, async (i) => {
      const a = await world.submit(api, 'bench.approve', `p${i}`);
      if (a.status !== 'pending_approval') throw new Error(`${a.id} is ${a.status}`);
      ids.push(a.id);
      if (ids.length % 100 === 0) peak = Math.max(peak, world.rssBytes(worker.pid) ?? 0);
      if (ids.length % 500 === 0) opts.log(`pending: ${ids.length} of ${total} pending (${(ids.length / ((performance.now() - started) / 1000)).toFixed(1)}/s), worker RSS ${((world.rssBytes(worker.pid) ?? 0) / MB).toFixed(0)} MB`);
    });
    const submitSeconds = (performance.now() - started) / 1000;
    // What holding them costs, once the submission burst is over: read 3 s after it (its last tasks, a GC) and
    // again after SETTLE_SECONDS without load (V8's memory reducer shrinks an idle heap after some seconds), which
    // is the figure judged. The peak while submitting is reported beside both.
    await new Promise((r) => setTimeout(r, 3000));
    const soon = world.rssBytes(worker.pid);
    peak = Math.max(peak, soon ?? 0);
    await new Promise((r) => setTimeout(r, (settleSeconds - 3) * 1000));
    const held = { rss: world.rssBytes(worker.pid), heap: await heap() };

    opts.log(`pending: ${sampled} sampled actions: GET, then an approval each`);
    const pick = Array.from({ length: sampled }, (_, i) => ids[Math.floor((i * ids.length) / sampled)]);
    const gets: number[] = [];
    for (const id of pick) {
      const t = performance.now();
      const res = await world.call(api, REQUESTER, 'GET', `/v1/actions/${id}`);
      gets.push(performance.now() - t);
      if (res.status !== 200 || res.body.status !== 'pending_approval') throw new Error(`GET ${id}: ${res.status} ${res.body?.status}`);
    }
    const votes: number[] = [];
    const toExecution: number[] = [];
    for (const id of pick) {
      const r = await approveAndTime(world, api, id);
      votes.push(r.vote);
      toExecution.push(r.toExecution);
    }
    const after = { rss: world.rssBytes(worker.pid), heap: await heap() };
    const cacheSize = Number(world.env.INTERLOCK_WORKER_CACHE ?? 100);
    const rssMb = (held.rss ?? NaN) / MB;
    const worstP99 = Math.max(pct(gets, 99), pct(votes, 99), pct(toExecution, 99));
    const figures = {
      total,
      sampled,
      workflowCache: cacheSize,
      submitPerSecond: total / submitSeconds,
      workerRssMb: { before: (before.rss ?? NaN) / MB, peakWhileSubmitting: peak / MB, threeSecondsAfter: (soon ?? NaN) / MB, pending: rssMb, afterApprovals: (after.rss ?? NaN) / MB },
      workerHeapMb: { before: (before.heap ?? NaN) / MB, pending: (held.heap ?? NaN) / MB, afterApprovals: (after.heap ?? NaN) / MB },
      getMs: { p50: pct(gets, 50), p99: pct(gets, 99) },
      decisionMs: { p50: pct(votes, 50), p99: pct(votes, 99) },
      decisionToExecutionMs: { p50: pct(toExecution, 50), p99: pct(toExecution, 99) },
      targets: { workerRssMb: { target: TARGETS.workerRssMb, met: rssMb <= TARGETS.workerRssMb }, p99Ms: { target: TARGETS.p99Ms, worst: worstP99, met: worstP99 <= TARGETS.p99Ms } },
    };
    recordResults(name, figures, opts);
    const met = (ok: boolean) => (ok ? 'yes' : '**no**');
    const mb = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : 'n/a');
    return [
      ...(total !== 10_000 && !opts.quick ? [`**${total} actions, not the issue's 10,000** (\`BENCH_PENDING_TOTAL=${total}\`).`, ''] : []),
      `${total} actions pending approval (\`interlock api\` and \`interlock worker\` processes, workflow cache ${cacheSize}, \`MALLOC_ARENA_MAX=${world.env.MALLOC_ARENA_MAX ?? 'unset'}\` as in the Dockerfile), submitted at concurrency 16 (${figures.submitPerSecond.toFixed(1)}/s, each answered \`pending_approval\`). Then ${sampled} of them, spread over the lot (most long evicted from the worker's cache): a GET each, then an approval each, timed to the executor's request at the sink.`,
      '',
      `Load average at the end (1 / 5 / 15 min): ${load()}.`,
      '',
      `| worker memory | before | peak while submitting | all pending, 3 s after | all pending, ${settleSeconds} s after (judged) | after the approvals |`,
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      `| RSS (MB) | ${mb(figures.workerRssMb.before)} | ${mb(figures.workerRssMb.peakWhileSubmitting)} | ${mb(figures.workerRssMb.threeSecondsAfter)} | ${mb(figures.workerRssMb.pending)} | ${mb(figures.workerRssMb.afterApprovals)} |`,
      `| V8 heap used (MB, the main thread's) | ${mb(figures.workerHeapMb.before)} | | | ${mb(figures.workerHeapMb.pending)} | ${mb(figures.workerHeapMb.afterApprovals)} |`,
      '',
      '| with all pending | p50 ms | p99 ms |',
      '| --- | ---: | ---: |',
      `| \`GET /v1/actions/{id}\` | ${ms(pct(gets, 50))} | ${ms(pct(gets, 99))} |`,
      `| approving vote (request to answer) | ${ms(pct(votes, 50))} | ${ms(pct(votes, 99))} |`,
      `| vote answered → executor request at the sink | ${ms(pct(toExecution, 50))} | ${ms(pct(toExecution, 99))} |`,
      '',
      '| target | value | target | met |',
      '| --- | ---: | ---: | --- |',
      `| worker RSS with ${total} pending | ${mb(rssMb)} MB | ≤ ${TARGETS.workerRssMb} MB | ${met(rssMb <= TARGETS.workerRssMb)} |`,
      `| worst p99 of the three above | ${ms(worstP99)} ms | ≤ ${TARGETS.p99Ms} ms | ${met(worstP99 <= TARGETS.p99Ms)} |`,
    ].join('\n');
  } finally {
    await world.close();
  }
}
