// The MCP gateway's cost: what an allowed call adds over calling the upstream directly, and how soon after the
// approving vote a held call reaches the upstream. A real stack (Temporal dev server, Postgres, API, worker), the
// SDK's client as the agent, and the tests' notes server as the upstream (stdio), stamping each run it sees.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { sql } from 'drizzle-orm';
import { PROJECT_ROOT } from '../devserver';
import { effects, NOTES_SCRIPT } from '../test/support/mcp-upstream';
import { startStack, type TestStack } from '../test/support/stack';
import { startTestEnvironment } from '../test/support/test-environment';

export const name = 'mcp';

const POLICY = `version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - {id: reads, when: 'action == "mcp.notes.read_note"', decision: allow}
  - id: writes
    when: action == "mcp.notes.write_note"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 1}
`;
const BOT = 'svc:etl-bot';
const TARGETS = { allowedP50Ms: 15, voteP99Ms: 100 };

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const ms = (n: number) => n.toFixed(2);

async function timedCalls(client: Client, n: number, tool: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await client.callTool({ name: tool, arguments: { id: `b${i}` } });
    out.push(performance.now() - t);
  }
  return out;
}

export async function run(opts: { quick: boolean; log: (s: string) => void }): Promise<string> {
  const calls = opts.quick ? 150 : 1000;
  const votes = opts.quick ? 15 : 100;
  const { env, stop } = await startTestEnvironment(opts.log);
  Object.assign(process.env, env);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'interlock-bench-mcp-'));
  const effectsFile = path.join(dir, 'effects.jsonl');
  const upstream = { command: process.execPath, args: ['--import', 'tsx', NOTES_SCRIPT, effectsFile], cwd: PROJECT_ROOT };
  let stack: TestStack | null = null;
  const clients: Client[] = [];
  try {
    stack = await startStack({ policy: POLICY, mcp: `hold: 30s\nservers:\n  notes: {command: "${upstream.command}", args: ${JSON.stringify(upstream.args)}, cwd: "${PROJECT_ROOT}"}\n` });
    const connect = async (transport: StdioClientTransport | StreamableHTTPClientTransport) => {
      const c = new Client({ name: 'bench-agent', version: '1' });
      await c.connect(transport);
      clients.push(c);
      return c;
    };
    const direct = await connect(new StdioClientTransport({ ...upstream, stderr: 'ignore' }));
    const viaApi = await connect(new StreamableHTTPClientTransport(new URL(`${stack.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${stack.tokens[BOT]}` } } }));
    const stdioConfig = path.join(dir, 'mcp.yaml');
    writeFileSync(stdioConfig, `hold: 30s\nservers:\n  notes: {command: "${upstream.command}", args: ${JSON.stringify(upstream.args)}, cwd: "${PROJECT_ROOT}"}\n`);
    const viaStdio = await connect(new StdioClientTransport({ command: process.execPath, args: [path.join(PROJECT_ROOT, 'bin/interlock.js'), 'mcp', '--config', stdioConfig], env: { PATH: process.env.PATH ?? '', INTERLOCK_URL: stack.url, INTERLOCK_TOKEN: stack.tokens[BOT] }, cwd: PROJECT_ROOT, stderr: 'ignore' }));

    // Warm up each path (connections, JIT, the upstream's start) before anything is counted.
    for (const c of [direct, viaApi, viaStdio]) await timedCalls(c, 20, 'read_note');
    opts.log(`mcp: ${calls} allowed calls on each path`);
    const d = await timedCalls(direct, calls, 'read_note');
    const h = await timedCalls(viaApi, calls, 'read_note');
    const s = await timedCalls(viaStdio, calls, 'read_note');

    opts.log(`mcp: ${votes} held calls approved by one vote each`);
    const delays: number[] = [];
    const stages = { approved: [] as number[], redeemed: [] as number[], called: [] as number[] };
    const afterAnswer: number[] = [];
    let claimed = 0;
    for (let i = 0; i < votes; i++) {
      const id = `v${i}-${Date.now()}`;
      const held = viaApi.callTool({ name: 'write_note', arguments: { id, text: 'bench' } }, undefined, { timeout: 60_000 });
      let action: any = null;
      const give = Date.now() + 20_000;
      while (!action) {
        if (Date.now() > give) throw new Error(`the held call ${id} made no pending action`);
        const list = await stack.call(BOT, 'GET', `/v1/actions?action=mcp.notes.write_note&status=pending_approval&limit=20`);
        action = list.body.items.find((a: any) => a.params.id === id);
        if (!action) await new Promise((r) => setTimeout(r, 20));
      }
      // As an approver would, once the request is out: the held call has claimed its action by then.
      while (((await stack.services.database.db.execute(sql`select 1 from grant_claims where action_id = ${action.id}`)) as unknown as { rows: unknown[] }).rows.length === 0) {
        if (Date.now() > give) throw new Error(`the held call ${id} never claimed ${action.id}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      const voted = Date.now();
      const res = await stack.call('alice@example.com', 'POST', `/v1/actions/${action.id}/decisions`, { decision: 'approve' });
      if (res.status !== 200) throw new Error(`vote refused: ${JSON.stringify(res.body)}`);
      const answered = Date.now();
      await held;
      const ranAt = effects(effectsFile).find((e) => e.tool === 'write_note' && e.args.id === id)?.at;
      if (ranAt === undefined) throw new Error(`${id} never reached the upstream`);
      delays.push(ranAt - voted);
      afterAnswer.push(ranAt - answered);
      // Where the time went, from the trail's own timestamps: the workflow's approval, then the grant's redemption.
      const trail = (await stack.call('dave@example.com', 'GET', `/v1/actions/${action.id}/audit`)).body.items as Array<{ type: string; at: string }>;
      const at = (type: string) => Date.parse(trail.find((e) => e.type === type)?.at ?? '');
      if ((trail.find((e) => e.type === 'grant.redeemed') as { data?: { claim?: string } } | undefined)?.data?.claim) claimed++;
      stages.approved.push(at('action.approved') - voted);
      stages.redeemed.push(at('grant.redeemed') - at('action.approved'));
      stages.called.push(ranAt - at('grant.redeemed'));
    }

    const load = os.loadavg().map((l) => l.toFixed(1)).join(' / ');
    const addedApi = pct(h, 50) - pct(d, 50);
    const addedStdio = pct(s, 50) - pct(d, 50);
    const row = (label: string, xs: number[]) => `| ${label} | ${xs.length} | ${ms(pct(xs, 50))} | ${ms(pct(xs, 90))} | ${ms(pct(xs, 99))} |`;
    return [
      'An allowed `tools/call` (policy evaluated, the call forwarded, one `mcp.call` audit event written before the answer) against the same stdio upstream called directly; and a call held for approval, from the moment the approving vote is sent to the moment the upstream starts running it (the upstream stamps it; one machine clock, ms resolution). The `/mcp` gateway holds the call in process with a claim on its action (`grant_claims`), and the vote that approves it redeems the grant for that claim in the approving step, so the call runs once the vote is recorded; the vote is sent once the claim is written, as a person would vote once the request is out. The stdio gateway waits on `GET /v1/actions/{id}/wait` (woken by the projection NOTIFY) and then redeems over REST.',
      '',
      `Load average at the end (1 / 5 / 15 min): ${load} on ${os.cpus().length} cores; on a shared machine the figures move with it.`,
      '',
      '| path | calls | p50 ms | p90 ms | p99 ms |',
      '| --- | ---: | ---: | ---: | ---: |',
      row('upstream directly (stdio)', d),
      row('gateway at `/mcp` (Streamable HTTP, in the API)', h),
      row('`interlock mcp` (stdio, over the REST API)', s),
      '',
      `| figure | value | target | met |`,
      '| --- | ---: | ---: | --- |',
      `| added by the gateway at \`/mcp\`, p50 | ${ms(addedApi)} ms | < ${TARGETS.allowedP50Ms} ms | ${addedApi < TARGETS.allowedP50Ms ? 'yes' : '**no**'} |`,
      `| added by \`interlock mcp\` (stdio), p50 | ${ms(addedStdio)} ms | < ${TARGETS.allowedP50Ms} ms | ${addedStdio < TARGETS.allowedP50Ms ? 'yes' : '**no**'} |`,
      `| approving vote to upstream call (\`/mcp\`), p50 over ${delays.length} | ${ms(pct(delays, 50))} ms | | |`,
      `| approving vote to upstream call (\`/mcp\`), p99 over ${delays.length} | ${ms(pct(delays, 99))} ms | < ${TARGETS.voteP99Ms} ms | ${pct(delays, 99) < TARGETS.voteP99Ms ? 'yes' : '**no**'} |`,
      `| the vote's answer to upstream call, p50 / p99 | ${ms(pct(afterAnswer, 50))} / ${ms(pct(afterAnswer, 99))} ms | | |`,
      `| redeemed for the held call's claim in the approving step | ${claimed} of ${delays.length} | | |`,
      '',
      `Where the vote-to-call time goes (p50, from the audit trail's timestamps, ms resolution): vote sent to \`action.approved\` ${ms(pct(stages.approved, 50))} ms (the API reads the claim, the workflow takes the vote, reaches quorum); \`action.approved\` to \`grant.redeemed\` ${ms(pct(stages.redeemed, 50))} ms (0 when both are in one step); \`grant.redeemed\` to the upstream running ${ms(pct(stages.called, 50))} ms (the step committed, its NOTIFY wakes the held call, which calls the upstream).`,
    ].join('\n');
  } finally {
    for (const c of clients) await c.close().catch(() => {});
    await stack?.stop();
    await stop();
  }
}
