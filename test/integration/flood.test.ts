import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_PRINCIPALS, startStack, type TestStack } from '../support/stack';

const BOT = 'svc:etl-bot';
const FLOODER = 'svc:flood-bot';
const APPROVER = 'alice@example.com';
const START_LIMIT = 40;
const FLOOD = { requests: 400, concurrency: 50 };

const percentile = (xs: number[], p: number) => {
  const sorted = xs.slice().sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const figures = (xs: number[]) => `n=${xs.length} p50=${percentile(xs, 50).toFixed(1)} ms max=${Math.max(...xs).toFixed(1)} ms`;

describe("one principal's flood does not starve the approvers", () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack({
      principals: `${DEFAULT_PRINCIPALS}  - {id: "${FLOODER}", kind: service, groups: [pipelines]}\n`,
      env: { INTERLOCK_START_LIMIT: String(START_LIMIT), INTERLOCK_SUBMIT_CONCURRENCY: '4' },
    });
  });
  after(() => stack?.stop());

  const vote = async (id: string) => {
    const started = performance.now();
    const res = await stack.call(APPROVER, 'POST', `/v1/actions/${id}/decisions`, { decision: 'approve', comment: 'during the flood' });
    return { status: res.status, body: res.body, ms: performance.now() - started };
  };

  /** `total` submissions from the flooder, `concurrency` at a time; resolves with every status once all are answered. */
  const flood = async (total: number, concurrency: number) => {
    const statuses: { status: number; code?: string; retryAfter: string | null }[] = [];
    let sent = 0;
    const lane = async () => {
      while (sent < total) {
        sent++;
        const res = await fetch(`${stack.url}/v1/actions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${stack.tokens[FLOODER]}`, 'content-type': 'application/json' },
          body: JSON.stringify({ action: 'read.table', resource: `r-${sent}`, environment: 'staging' }),
        });
        const body: any = await res.json();
        statuses.push({ status: res.status, code: body?.error?.code, retryAfter: res.headers.get('retry-after') });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    return statuses;
  };

  test('the flood gets 429 once over its limits while an approver votes and reads at once', async (t) => {
    const pending = [];
    // From three requesters: each may start only a few in any 5 s (a quarter of its minute's budget, at least 5).
    const requesters = [BOT, 'carol@example.com', 'frank@example.com'];
    for (let i = 0; i < 14; i++) pending.push(await stack.submit(requesters[i % 3], { action: 'db.export', resource: `postgres://prod/t${i}`, environment: 'production', justification: 'flood test' }));
    for (const a of pending) await stack.until(APPROVER, a.id, (x) => x.status === 'pending_approval');

    const quiet: number[] = [];
    for (const a of pending.slice(0, 4)) {
      const v = await vote(a.id);
      assert.equal(v.status, 200, JSON.stringify(v.body));
      quiet.push(v.ms);
    }

    let flooding = true;
    const flooded = flood(FLOOD.requests, FLOOD.concurrency).finally(() => (flooding = false));
    const during: number[] = [];
    const reads: number[] = [];
    const probes: number[] = [];
    // One vote every 100 ms from the flood's start, each followed by a read, so the samples spread over the flood.
    await Promise.all(pending.slice(4).map(async (a, i) => {
      await new Promise((r) => setTimeout(r, i * 100));
      const wasFlooding = flooding;
      const v = await vote(a.id);
      assert.equal(v.status, 200, `the approver's vote succeeds during the flood: ${JSON.stringify(v.body)}`);
      assert.equal(v.body.approvals.length, 1);
      (wasFlooding ? during : quiet).push(v.ms);
      const started = performance.now();
      assert.equal((await stack.call(APPROVER, 'GET', `/v1/actions/${a.id}`)).status, 200);
      if (wasFlooding) reads.push(performance.now() - started);
      const probed = performance.now();
      await fetch(`${stack.url}/healthz`);
      if (wasFlooding) probes.push(performance.now() - probed);
    }));
    const statuses = await flooded;

    const accepted = statuses.filter((s) => s.status === 202).length;
    const limited = statuses.filter((s) => s.status === 429);
    // Printed before the assertions, so a run that fails them still gives the figures.
    const report = [
      `flood: ${FLOOD.requests} POST /v1/actions from ${FLOODER} at concurrency ${FLOOD.concurrency}: ${accepted} accepted, ${limited.length} refused with 429`,
      `approver votes without flood: ${figures(quiet)}`,
      during.length ? `approver votes during flood: ${figures(during)}` : 'approver votes during flood: none (the flood ended before the first vote)',
      reads.length ? `approver GET during flood: ${figures(reads)}` : '',
      probes.length ? `GET /healthz during flood (the API process alone, no Temporal): ${figures(probes)}` : '',
    ].filter(Boolean);
    for (const line of report) {
      console.log(line);
      t.diagnostic(line);
    }
    assert.equal(statuses.length, FLOOD.requests);
    assert.equal(accepted + limited.length, FLOOD.requests, `every flood request is 202 or 429: ${JSON.stringify(statuses.filter((s) => s.status !== 202 && s.status !== 429).slice(0, 3))}`);
    assert.ok(accepted <= START_LIMIT, `at most ${START_LIMIT} starts a minute, got ${accepted}`);
    assert.ok(limited.every((s) => s.code === 'rate_limited' && Number(s.retryAfter) >= 1), 'each refusal is rate_limited with Retry-After');
  });
});
