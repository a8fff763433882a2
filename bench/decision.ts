// From a person's approval to the operation running: the approving POST /v1/actions/{id}/decisions returning,
// to the executor's request arriving at the sink (its headers received; one machine clock).
import { recordResults } from './lib/results';
import { load, ms, pct, startBenchWorld, APPROVER, REQUESTER, type BenchWorld } from './lib/world';
import type { RoleProcess } from '../test/faults/role-process';

export const name = 'decision-to-execution';

const TARGET_P99_MS = 50;

/** Approves one pending action and returns the ms from the vote's answer to the sink seeing the request, and the vote's own time. */
export async function approveAndTime(world: BenchWorld, api: RoleProcess, id: string): Promise<{ toExecution: number; vote: number }> {
  const key = id;
  const arrival = world.sink.arrival(key);
  const t = performance.now();
  const res = await world.call(api, APPROVER, 'POST', `/v1/actions/${id}/decisions`, { decision: 'approve' });
  const answered = performance.timeOrigin + performance.now();
  if (res.status !== 200) throw new Error(`vote on ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  const vote = performance.now() - t;
  return { toExecution: (await arrival) - answered, vote };
}

export async function run(opts: { quick: boolean; log: (s: string) => void }): Promise<string> {
  const count = opts.quick ? 10 : 100;
  const world = await startBenchWorld(opts.log);
  try {
    const api = await world.startApi();
    await world.startWorker();
    // The executor's Idempotency-Key is the action id: the sink stamps each request by it.
    const sample = await world.submit(api, 'bench.approve', 'probe');
    if (sample.status !== 'pending_approval') throw new Error(`expected pending_approval, got ${sample.status}`);
    await approveAndTime(world, api, sample.id);
    opts.log(`decision-to-execution: ${count} approvals, one at a time`);
    const toExecution: number[] = [];
    const votes: number[] = [];
    for (let i = 0; i < count; i++) {
      const a = await world.submit(api, 'bench.approve', `d${i}`);
      const r = await approveAndTime(world, api, a.id);
      toExecution.push(r.toExecution);
      votes.push(r.vote);
    }
    const p99 = pct(toExecution, 99);
    recordResults(name, { count, toExecutionMs: { p50: pct(toExecution, 50), p90: pct(toExecution, 90), p99, max: Math.max(...toExecution) }, voteMs: { p50: pct(votes, 50), p99: pct(votes, 99) }, target: { p99Ms: TARGET_P99_MS, met: p99 <= TARGET_P99_MS } }, opts);
    void REQUESTER;
    return [
      "Actions needing one approval, with the `http` executor to the sink; each approved over `POST /v1/actions/{id}/decisions`. Measured: from the vote's answer arriving to the executor's request arriving at the sink (negative when the request arrives before the answer). The vote answers once the approval is in the trail.",
      '',
      `Load average at the end (1 / 5 / 15 min): ${load()}.`,
      '',
      '| figure | p50 ms | p90 ms | p99 ms | target | met |',
      '| --- | ---: | ---: | ---: | ---: | --- |',
      `| vote answered → executor request at the sink (${count}) | ${ms(pct(toExecution, 50))} | ${ms(pct(toExecution, 90))} | ${ms(p99)} | p99 ≤ ${TARGET_P99_MS} ms | ${p99 <= TARGET_P99_MS ? 'yes' : '**no**'} |`,
      `| the vote itself (request to answer) | ${ms(pct(votes, 50))} | ${ms(pct(votes, 90))} | ${ms(pct(votes, 99))} | | |`,
      '',
      'Between the two: `execution.started` written (a local activity in the same workflow task as the approval), the executor activity dispatched by the server, the executor reading its ledger and sending.',
    ].join('\n');
  } finally {
    await world.close();
  }
}
