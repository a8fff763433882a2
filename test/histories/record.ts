/**
 * Records one workflow history per path through actionWorkflow into test/histories/*.json, for the replay
 * test. Re-run after an intended workflow change (`npm run test:record-histories`) and commit the files;
 * never re-record to make a replay failure go away: that failure means running workflows would break.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { findTemporalCli, startDevServer } from '../../devserver';
import { freshDatabase } from '../support/database';
import { startSink } from '../support/sink';

const dir = path.dirname(new URL(import.meta.url).pathname);
/**
 * The histories of each generation of the workflow's commands stay, so every path of every generation keeps
 * replaying: bump this (never overwrite an older one) when a change behind patched() adds a path.
 * (none): before the redesign; v2: policy decided at submission, runExecutor, grant.expired.
 * v3: signed grants (grant.issued, redeemGrant, failed when a redeemed window closes), named targets, the
 * execution plan (heartbeat, per-target timeout and retry), the postgres executor, cancel while executing.
 * v4: audit steps as local activities, coalesced per activation (local-audit-steps); Update-with-Start
 * (`submitted`) and the `awaitSettled` watch of /wait; no notification activity without a channel.
 * v5: the `generation-5` patch (workflows/generation.ts: every patch above in without its own marker); /wait sends
 * no Update (it wakes on the projection's NOTIFY); a held gateway call's claim redeemed by the approving vote.
 * v6: the `generation-6` patch: v5, and an auto-allowed execution with a short target timeout as a local activity
 * (`local-executor`), each retry after a workflow timer.
 */
const GENERATION = 'v6';
const SECRET = 'whsec_' + Buffer.from('interlock-test-secret-0123456789ab').toString('base64');

async function main() {
  const server = await startDevServer({ binary: findTemporalCli({}), dataDir: '/tmp/interlock-record', port: 17999, uiPort: null, dbFile: null });
  process.env.TEMPORAL_ADDRESS = server.address;
  process.env.TEST_DATABASE_ADMIN_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
  const { startStack } = await import('../support/stack');
  const policy = readFileSync(path.join(dir, '..', 'fixtures', 'flow-policy.yaml'), 'utf8');
  const sink = await startSink(SECRET, { failFirst: 1 });
  // Fails its first call too: a local executor's retry, after a workflow timer.
  const quickFlaky = await startSink(SECRET, { failFirst: 1 });
  // A second database as a postgres target: one statement with an effect, one slow enough to cancel.
  const ledgerDb = await freshDatabase();
  const { default: pg } = await import('pg');
  const seed = new pg.Client({ connectionString: ledgerDb.url });
  await seed.connect();
  await seed.query("create table counters(id text primary key, n int not null); insert into counters values ('c1', 0)");
  await seed.end();
  const targets = [
    'targets:',
    '  sink:',
    '    type: http',
    `    url: ${new URL('/', sink.url)}`,
    '  quick-sink:',
    '    type: http',
    `    url: ${new URL('/', sink.url)}`,
    '    timeout: 2s',
    '  quick-flaky:',
    '    type: http',
    `    url: ${new URL('/', quickFlaky.url)}`,
    '    timeout: 2s',
    '    retry: {attempts: 3, max_interval: 1s}',
    '  ledger-db:',
    '    type: postgres',
    `    url: "${ledgerDb.url}"`,
    '    statements:',
    '      bump: {sql: "update counters set n = n + 1 where id = $1", params: [text]}',
    '      slow: {sql: "select pg_sleep(30)", params: []}',
    '',
  ].join('\n');
  const stack = await startStack({ policy, targets, env: { INTERLOCK_WEBHOOK_SECRET: SECRET, INTERLOCK_HTTP_ALLOW_PRIVATE: `${sink.hostPort},${quickFlaky.hostPort}` } });
  const bot = 'svc:etl-bot';
  const vote = (who: string, id: string, decision = 'approve') => stack.call(who, 'POST', `/v1/actions/${id}/decisions`, { decision, comment: 'recorded' });
  const pending = async (body: object) => {
    const a = await stack.submit(bot, body as never);
    await stack.until(bot, a.id, (x) => x.status === 'pending_approval');
    return a.id as string;
  };
  const settle = (id: string) => stack.until(bot, id, (x) => ['succeeded', 'failed', 'denied', 'expired', 'cancelled'].includes(x.status), 30_000);

  const paths: Record<string, () => Promise<string>> = {
    'allowed-gate-grant-lapses': async () => (await stack.submit(bot, { action: 'read.x', resource: 'r' })).id, // grant: 2s in the fixture
    'denied-by-policy': async () => {
      const id = (await stack.submit(bot, { action: 'db.drop', resource: 'r' })).id;
      await settle(id);
      return id;
    },
    'approved-quorum-gate-result': async () => {
      const id = await pending({ action: 'db.export', resource: 'r', onBehalfOf: 'alice@example.com' });
      await vote('alice@example.com', id);
      await vote('bob@example.com', id);
      await vote('bob@example.com', id);
      await vote('erin@example.com', id);
      await stack.call(bot, 'POST', `/v1/actions/${id}/result`, { status: 'succeeded', output: { rows: 1 } });
      await settle(id);
      return id;
    },
    'denied-by-approver': async () => {
      const id = await pending({ action: 'db.export', resource: 'r' });
      await vote('erin@example.com', id, 'deny');
      await settle(id);
      return id;
    },
    expired: async () => {
      const id = await pending({ action: 'cache.flush', resource: 'r' });
      await settle(id);
      return id;
    },
    'escalated-then-approved': async () => {
      const id = await pending({ action: 'infra.scale', resource: 'r' });
      await stack.until(bot, id, (x) => x.decision?.escalationLevel === 1);
      await vote('carol@example.com', id);
      await stack.until(bot, id, (x) => x.status === 'approved');
      await stack.call(bot, 'POST', `/v1/actions/${id}/result`, { status: 'failed', output: 'exit 3' });
      await settle(id);
      return id;
    },
    cancelled: async () => {
      const id = await pending({ action: 'db.export', resource: 'r' });
      await stack.call(bot, 'POST', `/v1/actions/${id}/cancel`, { reason: 'recorded' });
      await settle(id);
      return id;
    },
    // Signed grants (patched 'signed-grant'): redeemed then reported, and redeemed with no result before the window closes.
    'approved-gate-grant-redeemed-result': async () => {
      const id = await pending({ action: 'db.export', resource: 'r', params: { table: 't' } });
      await vote('bob@example.com', id);
      await vote('erin@example.com', id);
      const { grant } = await stack.until(bot, id, (x) => x.status === 'approved' && x.grant?.token);
      await stack.call(bot, 'POST', '/v1/grants/redeem', { grant: grant.token, params: { table: 't' } });
      await stack.call(bot, 'POST', `/v1/actions/${id}/result`, { status: 'succeeded', output: { rows: 1 } });
      await settle(id);
      return id;
    },
    // A held gateway call's claim (as /mcp writes it): the approving vote redeems for it in the approval's step.
    'approved-gate-claimed-by-held-call': async () => {
      const id = await pending({ action: 'db.export', resource: 'r', params: { table: 'c' } });
      const { gatewayClaims } = await import('../../db/schema');
      const { paramsHash } = await import('../../grants');
      await stack.services.database.db.insert(gatewayClaims).values({ actionId: id, claimId: 'clm_recorded', principal: bot, paramsHash: paramsHash({ table: 'c' }), until: new Date(Date.now() + 60_000).toISOString() });
      await vote('bob@example.com', id);
      await vote('erin@example.com', id);
      await stack.until(bot, id, (x) => x.status === 'executing');
      await stack.call(bot, 'POST', `/v1/actions/${id}/result`, { status: 'succeeded', output: { rows: 2 } });
      await settle(id);
      return id;
    },
    'allowed-gate-grant-redeemed-no-result': async () => {
      const id = (await stack.submit(bot, { action: 'read.x', resource: 'r' })).id; // grant: 2s in the fixture
      const { grant } = await stack.until(bot, id, (x) => x.status === 'approved' && x.grant?.token);
      await stack.call(bot, 'POST', '/v1/grants/redeem', { grant: grant.token, params: {} });
      await settle(id);
      return id;
    },
    'http-target-path-succeeded': async () => {
      const id = (await stack.submit(bot, { action: 'svc.call', resource: 'r', execute: { type: 'http', target: 'sink', path: '/hooks/run', method: 'POST', body: { a: 2 } } })).id;
      await settle(id);
      return id;
    },
    // Generation 6: auto-allowed, a short target timeout: the executor as a local activity.
    'http-local-executor-succeeded': async () => {
      const id = (await stack.submit(bot, { action: 'svc.call', resource: 'r', execute: { type: 'http', target: 'quick-sink', path: '/hooks/quick', body: { a: 3 } } })).id;
      await settle(id);
      return id;
    },
    'http-local-retried-then-succeeded': async () => {
      const id = (await stack.submit(bot, { action: 'svc.call', resource: 'r', execute: { type: 'http', target: 'quick-flaky', path: '/hooks/quick', body: { a: 4 } } })).id;
      await settle(id);
      return id;
    },
    'postgres-statement-succeeded': async () => {
      const id = (await stack.submit(bot, { action: 'svc.call', resource: 'r', execute: { type: 'postgres', target: 'ledger-db', statement: 'bump', args: ['c1'] } })).id;
      await settle(id);
      return id;
    },
    'postgres-cancelled-while-executing': async () => {
      const id = (await stack.submit(bot, { action: 'svc.call', resource: 'r', execute: { type: 'postgres', target: 'ledger-db', statement: 'slow', args: [] } })).id;
      await stack.until(bot, id, (x) => x.status === 'executing');
      await new Promise((r) => setTimeout(r, 500)); // the statement has started on the target
      await stack.call(bot, 'POST', `/v1/actions/${id}/cancel`, { reason: 'recorded' });
      await settle(id);
      return id;
    },
    'http-retried-then-succeeded': async () => {
      const id = (await stack.submit(bot, { action: 'svc.call', resource: 'r', execute: { type: 'http', url: sink.url, body: { a: 1 } } })).id;
      await settle(id);
      return id;
    },
  };
  try {
    for (const [name, run] of Object.entries(paths)) {
      const id = await run();
      const handle = stack.temporal.workflow.getHandle(id);
      await handle.result();
      const history = await handle.fetchHistory();
      writeFileSync(path.join(dir, `${GENERATION}-${name}.json`), JSON.stringify(JSON.parse(historyToJSON(history)), null, 1));
      process.stdout.write(`recorded ${name} (${history.events?.length} events)\n`);
    }
  } finally {
    await sink.close();
    await quickFlaky.close();
    await stack.stop();
    await ledgerDb.drop();
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
