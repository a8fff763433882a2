import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Connection } from '@temporalio/client';
import { runCli } from '../../cli';
import { SEARCH_ATTRIBUTE_NAMES } from '../../workflows/search-attributes';
import { startStack, type TestStack } from '../support/stack';

const BOT = 'svc:etl-bot';

/** Visibility is eventually consistent: the ids a query finds once it has caught up with `expected` (or the last answer). */
async function visible(stack: TestStack, query: string, expected: string[]): Promise<string[]> {
  const end = Date.now() + 15_000;
  let ids: string[] = [];
  while (Date.now() < end) {
    ids = [];
    for await (const w of stack.temporal.workflow.list({ query })) ids.push(w.workflowId);
    ids.sort();
    if (JSON.stringify(ids) === JSON.stringify([...expected].sort())) return ids;
    await new Promise((r) => setTimeout(r, 200));
  }
  return ids;
}

describe('Temporal UI tells the story of an action', () => {
  let stack: TestStack;
  const ids: Record<string, string> = {};
  before(async () => {
    stack = await startStack();
    const pending = await stack.submit(BOT, { action: 'db.export', resource: 'postgres://etl:hunter2@prod/customers', environment: 'production', onBehalfOf: 'alice@example.com', justification: 'monthly revenue reconciliation', params: { table: 'customers', password: 'hunter2' } });
    await stack.until(BOT, pending.id, (a) => a.status === 'pending_approval');
    const vote = await stack.call('bob@example.com', 'POST', `/v1/actions/${pending.id}/decisions`, { decision: 'approve', comment: 'ok' });
    assert.equal(vote.status, 200);
    ids.pending = pending.id;
    const denied = await stack.submit(BOT, { action: 'db.drop', resource: 'postgres://prod/customers', environment: 'production' });
    await stack.until(BOT, denied.id, (a) => a.status === 'denied');
    ids.denied = denied.id;
    const allowed = await stack.submit(BOT, { action: 'read.table', resource: 'postgres://staging/customers', environment: 'staging' });
    await stack.until(BOT, allowed.id, (a) => a.status === 'approved');
    ids.allowed = allowed.id;
  });
  after(() => stack?.stop());

  test('a visibility query on the search attributes finds exactly the expected workflows', async () => {
    const q = (where: string) => `TaskQueue = '${stack.taskQueue}' AND ${where}`;
    assert.deepEqual(await visible(stack, q(`InterlockStatus = 'pending_approval'`), [ids.pending]), [ids.pending]);
    assert.deepEqual(await visible(stack, q(`InterlockStatus = 'denied'`), [ids.denied]), [ids.denied]);
    assert.deepEqual(await visible(stack, q(`InterlockRisk = 'high' AND InterlockEnvironment = 'production'`), [ids.pending]), [ids.pending]);
    assert.deepEqual(await visible(stack, q(`InterlockRequester = '${BOT}' AND InterlockAction IN ('db.export', 'db.drop')`), [ids.pending, ids.denied]), [ids.pending, ids.denied].sort());
    assert.deepEqual(await visible(stack, q(`InterlockAction = 'read.table' AND InterlockStatus = 'approved'`), [ids.allowed]), [ids.allowed]);
  });

  test('the user metadata reads as the action: summary, Markdown details, and what it waits for now', async () => {
    const handle = stack.temporal.workflow.getHandle(ids.pending);
    const d = await handle.describe();
    assert.equal(await d.staticSummary(), 'db.export postgres://prod/customers by svc:etl-bot for alice@example.com');
    const details = (await d.staticDetails())!;
    assert.match(details, /rule: `prod-data-export` → \*\*require_approval\*\*/);
    assert.match(details, /risk: high/);
    assert.match(details, /quorum: 2 from data-owners/);
    assert.match(details, /deadline: \d{4}-\d\d-\d\dT/);
    assert.match(details, /escalates to security-oncall after 600s/);
    assert.match(details, /controls: SOC2:CC6\.1/);
    assert.match(details, new RegExp(`\\[Temporal UI\\]\\(http://.+/workflows/${ids.pending}\\)`));
    assert.doesNotMatch(details, /hunter2/, 'neither a params value nor a resource password is shown');
    const meta = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    assert.match(meta.currentDetails, /^1 of 2 approvals from data-owners; escalates to security-oncall at \d\d:\d\d UTC; expires at \d\d:\d\d UTC$/);
    const closed = await stack.temporal.workflow.getHandle(ids.denied).query<{ currentDetails: string }>('__temporal_workflow_metadata');
    assert.match(closed.currentDetails, /^denied/);
  });

  test('each activity carries a summary in its user metadata', async () => {
    const history = await stack.temporal.workflow.getHandle(ids.pending).fetchHistory();
    // Activities, and the audit steps run as local activities (their markers carry the summary).
    const summaries = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes || e.markerRecordedEventAttributes?.markerName === 'core_local_activity').map((e) => e.userMetadata?.summary?.data && Buffer.from(e.userMetadata.summary.data).toString());
    assert.ok(summaries.length >= 2, `${summaries.length} activities`);
    for (const s of summaries) assert.ok(s, 'every scheduled activity has a summary');
    assert.ok(summaries.some((s) => s!.includes('audit: action.submitted')), summaries.join(' | '));
  });

  test('`interlock temporal setup` registers the search attributes on a namespace that lacks them, and is idempotent', async () => {
    const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
    const namespace = `setup-${process.pid}-${Date.now().toString(36)}`;
    try {
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: { seconds: 86400 as never } });
      const out: string[] = [];
      const io = { out: (s: string) => void out.push(s), err: (s: string) => void out.push(s), env: { ...process.env, TEMPORAL_NAMESPACE: namespace } };
      assert.equal(await runCli(['temporal', 'setup'], io), 0, out.join('\n'));
      assert.match(out.at(-1)!, /^registered Interlock/);
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      for (const name of SEARCH_ATTRIBUTE_NAMES) assert.ok(name in (customAttributes ?? {}), name);
      assert.equal(await runCli(['temporal', 'setup'], io), 0, out.join('\n'));
      assert.match(out.at(-1)!, /already registered/);
      assert.equal(await runCli(['temporal', 'nonsense'], io), 2);
    } finally {
      await connection.close();
    }
  });

  test('/readyz is 503 naming the search attributes a namespace lacks, and ready again once `temporal setup` registers them', async () => {
    const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
    const namespace = `ready-${process.pid}-${Date.now().toString(36)}`;
    let bare: TestStack | undefined;
    try {
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: { seconds: 86400 as never } });
      bare = await startStack({ env: { TEMPORAL_NAMESPACE: namespace } });
      const before = await bare.call(null, 'GET', '/readyz');
      assert.equal(before.status, 503, JSON.stringify(before.body));
      assert.equal(before.body.checks.temporal.ok, false);
      assert.equal(before.body.error.code, 'unavailable');
      const detail = before.body.error.details.find((d: { field: string }) => d.field === 'temporal');
      assert.match(detail.message, new RegExp(`namespace ${namespace} lacks the search attribute\\(s\\) ${SEARCH_ATTRIBUTE_NAMES.join(', ')} .*npx interlock temporal setup`));
      const out: string[] = [];
      const io = { out: (line: string) => void out.push(line), err: (line: string) => void out.push(line), env: { ...process.env, TEMPORAL_NAMESPACE: namespace } };
      assert.equal(await runCli(['temporal', 'setup'], io), 0, out.join('\n'));
      const after = await bare.call(null, 'GET', '/readyz');
      assert.equal(after.status, 200, JSON.stringify(after.body));
      assert.equal(after.body.checks.temporal.ok, true);
    } finally {
      await bare?.stop();
      await connection.close();
    }
  });
});
