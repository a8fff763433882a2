import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { actions, auditEvents } from '../../db/schema';
import { decideUpdate, WORKFLOW_TYPE, type ActionWorkflowInput } from '../../workflows/messages';
import { deliverRaw, deliverToSlackEndpoint } from '../support/slack-requests';
import { SIGNING_SECRET, slackStackForSuite } from '../support/slack-fixtures';
import { startStack, type TestStack } from '../support/stack';

const BOT = 'svc:etl-bot';
const NUL = '\u0000';
const nested = (depth: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = { n: v };
  return v;
};

describe('nothing wedges an action: strings that cannot be stored and bodies nested too deep are 400 at the edge', () => {
  let stack: TestStack;
  let pending: string;
  before(async () => {
    stack = await startStack();
    pending = (await stack.submit(BOT, { action: 'db.export', resource: 'r', environment: 'production', justification: 'guard test' })).id;
    await stack.until(BOT, pending, (a) => a.status === 'pending_approval');
  });
  after(() => stack?.stop());

  const rows = async () => (await stack.services.database.db.select().from(actions)).length;
  const submission = { action: 'read.x', resource: 'r', environment: 'staging', params: { k: 'v' }, justification: 'j', context: { agent: 'a' }, execute: { type: 'none' } };
  const withNul = (path: string[]): Record<string, unknown> => {
    const body = structuredClone(submission) as Record<string, any>;
    let at = body;
    for (const key of path.slice(0, -1)) at = at[key];
    at[path[path.length - 1]] = `a${NUL}b`;
    return body;
  };

  // Every string field of every route, in body, path and query.
  const cases: { name: string; as: string; method: string; route: () => string; body?: unknown; field: string }[] = [
    ...['action', 'resource', 'environment', 'justification', 'onBehalfOf'].map((f) => ({ name: `submit ${f}`, as: BOT, method: 'POST', route: () => '/v1/actions', body: withNul([f]), field: f })),
    { name: 'submit params value', as: BOT, method: 'POST', route: () => '/v1/actions', body: withNul(['params', 'k']), field: 'params.k' },
    { name: 'submit params key', as: BOT, method: 'POST', route: () => '/v1/actions', body: { ...submission, params: { [`k${NUL}`]: 1 } }, field: `params.k${NUL}` },
    { name: 'submit context value', as: BOT, method: 'POST', route: () => '/v1/actions', body: withNul(['context', 'agent']), field: 'context.agent' },
    { name: 'submit execute.type', as: BOT, method: 'POST', route: () => '/v1/actions', body: withNul(['execute', 'type']), field: 'execute.type' },
    { name: 'dry run resource', as: BOT, method: 'POST', route: () => '/v1/policy/evaluate', body: withNul(['resource']), field: 'resource' },
    { name: 'vote comment', as: 'bob@example.com', method: 'POST', route: () => `/v1/actions/${pending}/decisions`, body: { decision: 'approve', comment: `ok${NUL}` }, field: 'comment' },
    { name: 'cancel reason', as: BOT, method: 'POST', route: () => `/v1/actions/${pending}/cancel`, body: { reason: `no${NUL}` }, field: 'reason' },
    { name: 'result output', as: BOT, method: 'POST', route: () => `/v1/actions/${pending}/result`, body: { status: 'succeeded', output: { log: `x${NUL}` } }, field: 'output.log' },
    { name: 'path id', as: BOT, method: 'GET', route: () => `/v1/actions/act_01${'%00'}X`, field: 'params.id' },
    { name: 'wait timeout', as: BOT, method: 'GET', route: () => `/v1/actions/${pending}/wait?timeout=1%00`, field: 'querystring.timeout' },
    ...['status', 'action', 'requester', 'cursor'].map((q) => ({ name: `list ${q}`, as: BOT, method: 'GET', route: () => `/v1/actions?${q}=%00`, field: `querystring.${q}` })),
    ...['action_id', 'actor', 'type', 'from', 'to'].map((q) => ({ name: `audit ${q}`, as: 'dave@example.com', method: 'GET', route: () => `/v1/audit?${q}=%00`, field: `querystring.${q}` })),
  ];

  for (const c of cases) {
    test(`NUL in ${c.name} is 400 invalid_request naming ${c.field}, and changes nothing`, async () => {
      const before = await rows();
      const res = await stack.call(c.as, c.method, c.route(), c.body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'invalid_request');
      assert.equal(res.body.error.details[0].field, c.field);
      assert.equal(await rows(), before);
    });
  }

  test('a refused vote, cancel and result leave the pending action pending, with no vote and no result', async () => {
    // Sends its own requests: a test must not rely on the cases above having run first.
    for (const c of cases.filter((x) => x.route().includes(pending) && x.method === 'POST')) assert.equal((await stack.call(c.as, c.method, c.route(), c.body)).status, 400, c.name);
    const a = (await stack.call(BOT, 'GET', `/v1/actions/${pending}`)).body;
    assert.equal(a.status, 'pending_approval');
    assert.deepEqual(a.approvals, []);
    assert.equal(a.result, null);
  });

  test('params nested 10,000 deep is 400 naming the limit, on submit and on the dry run alike', async () => {
    const body = `{"action":"read.x","resource":"r","params":${'{"n":'.repeat(10_000)}1${'}'.repeat(10_000)}}`; // too deep for JSON.stringify here
    for (const route of ['/v1/actions', '/v1/policy/evaluate']) {
      const res = await stack.call(BOT, 'POST', route, body);
      assert.equal(res.status, 400, route);
      assert.equal(res.body.error.code, 'invalid_request');
      assert.match(res.body.error.message, /deeper than 32/);
    }
  });

  test('32 levels are accepted, 33 are not', async () => {
    // The body object is level 1; params holding 31 nested objects reaches level 32.
    const ok = await stack.call(BOT, 'POST', '/v1/policy/evaluate', { action: 'read.x', resource: 'r', params: nested(31) });
    assert.equal(ok.status, 200, JSON.stringify(ok.body).slice(0, 300));
    const deep = await stack.call(BOT, 'POST', '/v1/policy/evaluate', { action: 'read.x', resource: 'r', params: nested(32) });
    assert.equal(deep.status, 400);
  });

  test('a submission too big to carry through Temporal is refused with 422 naming context or execute', async () => {
    const before = await rows();
    // Just under the 1 MiB body limit: this context made workflow tasks that never completed.
    const huge = await stack.call(BOT, 'POST', '/v1/actions', { action: 'read.x', resource: 'r', environment: 'staging', context: { b: 'x'.repeat(1_048_000) } });
    assert.equal(huge.status, 422);
    assert.equal(huge.body.error.details[0].field, 'context');
    const context = await stack.call(BOT, 'POST', '/v1/actions', { action: 'read.x', resource: 'r', context: { b: 'x'.repeat(20_000) } });
    assert.equal(context.status, 422);
    assert.equal(context.body.error.details[0].field, 'context');
    const body = await stack.call(BOT, 'POST', '/v1/actions', { action: 'read.x', resource: 'r', execute: { type: 'http', url: 'https://93.184.215.14/run', body: { b: 'x'.repeat(70_000) } } });
    assert.equal(body.status, 422);
    assert.equal(body.body.error.details[0].field, 'execute');
    const dry = await stack.call(BOT, 'POST', '/v1/policy/evaluate', { action: 'read.x', resource: 'r', context: { b: 'x'.repeat(20_000) } });
    assert.ok(dry.body.problems.some((p: any) => p.field === 'context'), 'the dry run reports it too');
    assert.equal(await rows(), before);
  });

  test('a list cursor this API did not issue is 400, whatever it decodes to', async () => {
    const forged = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const cursor of [forged(['1', 'x']), forged(['2020-01-01T00:00:00.000Z', `act_a${NUL}b`]), forged(['0000-01-01T00:00:00.000Z', 'act_X']), forged(['2020-01-01', 'act_X'])]) {
      const res = await stack.call(BOT, 'GET', `/v1/actions?cursor=${cursor}`);
      assert.equal(res.status, 400, cursor);
      assert.equal(res.body.error.details[0].field, 'cursor');
    }
  });

  test('a path that is not valid percent-encoding, and JSON in another charset, get the contract error', async () => {
    const bad = await stack.call(BOT, 'GET', '/v1/actions/act_%E0%A4');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_request');
    const utf16 = await stack.call(BOT, 'POST', '/v1/actions', JSON.stringify({ action: 'read.x', resource: 'r' }), { 'content-type': 'application/json; charset=utf-16' });
    assert.equal(utf16.status, 415);
    assert.equal(utf16.body.error.code, 'unsupported_media_type');
  });

  test('brackets inside strings do not count as nesting', async () => {
    const res = await stack.call(BOT, 'POST', '/v1/policy/evaluate', { action: 'read.x', resource: '[[[[{{{{'.repeat(20), params: { s: '\\"[[[[' } });
    assert.equal(res.status, 200);
  });
});

describe('a step that cannot be made closes the action (fail closed) instead of holding it for ever', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack?.stop());

  const input = (id: string, resource: string): ActionWorkflowInput => ({
    id,
    submission: { action: 'db.export', resource, environment: 'production', params: {}, context: {}, justification: 'j', onBehalfOf: null, execute: { type: 'none' }, breakGlass: false },
    requester: { id: BOT, kind: 'service', groups: ['pipelines'] },
    submittedAt: new Date().toISOString(),
  });
  const failClosedCount = async () => {
    const text = await stack.services.metrics.registry.getSingleMetricAsString('interlock_actions_failed_closed_total');
    return [...text.matchAll(/^interlock_actions_failed_closed_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  };

  test('a submission the audit trail refuses (a NUL that reached the workflow) ends denied with the reason, counted', async () => {
    const before = await failClosedCount();
    const id = `act_NUL${Date.now()}`;
    const handle = await stack.temporal.workflow.start(WORKFLOW_TYPE, { workflowId: id, taskQueue: stack.taskQueue, args: [input(id, `r${NUL}`)] });
    const result = (await handle.result()) as { status: string; statusReason: string };
    assert.equal(result.status, 'denied');
    assert.match(result.statusReason, /recordStep failed after its bounded retries .*fail closed/);
    assert.equal(await failClosedCount(), before + 1);
  });

  test('a gate-mode approval is not shown (so not acted on) until the trail holds it', async () => {
    const a = await stack.submit(BOT, { action: 'db.export', resource: 'r', environment: 'production', justification: 'j' });
    await stack.until(BOT, a.id, (x) => x.status === 'pending_approval');
    await stack.call('bob@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve' });
    const lock = new pg.Client({ connectionString: stack.services.config.databaseUrl });
    await lock.connect();
    try {
      await lock.query('begin');
      await lock.query('lock table audit_events in exclusive mode'); // the next audit write waits behind this
      const vote = stack.call('erin@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve' });
      await stack.until(BOT, a.id, () => true); // the vote is in the workflow by now or soon; its write is held
      for (let i = 0; i < 5; i++) {
        const seen = (await stack.call(BOT, 'GET', `/v1/actions/${a.id}/wait?timeout=0`)).body;
        assert.equal(seen.status, 'pending_approval', 'the requester must not be told approved before it is recorded');
        await new Promise((r) => setTimeout(r, 100));
      }
      await lock.query('commit');
      assert.equal((await vote).status, 200);
    } finally {
      await lock.end();
    }
    assert.equal((await stack.until(BOT, a.id, (x) => x.status === 'approved')).status, 'approved');
  });

  test('a vote whose audit write fails is not counted as an approval: the Update fails and the action is denied, never executed', async () => {
    const a = await stack.submit(BOT, { action: 'db.export', resource: 'r', environment: 'production', justification: 'j' });
    await stack.until(BOT, a.id, (x) => x.status === 'pending_approval');
    const handle = stack.temporal.workflow.getHandle(a.id);
    const vote = (who: string, comment: string) => handle.executeUpdate(decideUpdate, { args: [{ principal: { id: who, kind: 'human', groups: ['data-owners'] }, decision: 'approve', comment, via: 'api' }] });
    await vote('bob@example.com', 'fine');
    await assert.rejects(vote('erin@example.com', `fine${NUL}`));
    const result = (await handle.result()) as { status: string; statusReason: string };
    assert.equal(result.status, 'denied');
    assert.match(result.statusReason, /fail closed/);
    const types = (await stack.services.database.db.select({ type: auditEvents.type }).from(auditEvents)).map((r) => r.type);
    assert.ok(!types.includes('execution.started'));
  });
});

describe('a transient failure is 503 with Retry-After, not a 4xx', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack?.stop());

  test('a vote while no worker runs is 503 with Retry-After; after the worker is back the vote counts once', async () => {
    const a = await stack.submit(BOT, { action: 'db.export', resource: 'r', environment: 'production', justification: 'j' });
    await stack.until(BOT, a.id, (x) => x.status === 'pending_approval');
    await stack.stopWorker();
    const res = await fetch(`${stack.url}/v1/actions/${a.id}/decisions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.tokens['bob@example.com']}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'approve' }),
    });
    assert.equal(res.status, 503);
    assert.ok(Number(res.headers.get('retry-after')) > 0);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unavailable');
    await stack.startWorker();
    // The Update the server held may have been taken once the worker returned: a retry is then 409 already_voted.
    const retry = await stack.call('bob@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve' });
    assert.ok([200, 409].includes(retry.status), JSON.stringify(retry.body));
    const after = await stack.until(BOT, a.id, (x) => x.approvals.length > 0);
    assert.equal(after.approvals.filter((v: any) => v.principal === 'bob@example.com').length, 1);
  });

  test('with no worker running, GET, /wait and the list answer a pending action at once, as recorded', async () => {
    const a = await stack.submit(BOT, { action: 'db.export', resource: 'r', environment: 'production', justification: 'j' });
    const pending = await stack.until(BOT, a.id, (x) => x.status === 'pending_approval');
    await stack.stopWorker();
    try {
      // Asking the workflow (a Query) would wait for a worker until its 3 s deadline; the projection answers now.
      const started = Date.now();
      const got = await stack.call(BOT, 'GET', `/v1/actions/${a.id}`);
      const took = Date.now() - started;
      assert.equal(got.status, 200);
      assert.deepEqual(got.body, pending, 'the same Action as while the worker ran');
      assert.ok(took < 2000, `GET took ${took} ms: it asked the workflow instead of reading the projection`);
      const waited = await stack.call(BOT, 'GET', `/v1/actions/${a.id}/wait?timeout=1`);
      assert.equal(waited.status, 200);
      assert.equal(waited.body.status, 'pending_approval');
      const listed = await stack.call(BOT, 'GET', '/v1/actions?status=pending_approval');
      assert.ok(listed.body.items.some((x: { id: string }) => x.id === a.id));
      // A reader who may not see it is still refused from the projection.
      assert.equal((await stack.call('mallory@example.com', 'GET', `/v1/actions/${a.id}`)).status, 403);
    } finally {
      await stack.startWorker();
    }
    const vote = await stack.call('bob@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'deny', comment: 'no' });
    assert.equal(vote.status, 200, JSON.stringify(vote.body));
    const closed = await stack.call(BOT, 'GET', `/v1/actions/${a.id}`);
    assert.equal(closed.body.status, 'denied', 'the vote, recorded, is what the next read shows');
  });
});

describe('signed Slack requests Interlock cannot read are 400, never 500', () => {
  const slack = slackStackForSuite();

  test('a payload that is null, a list or a number', async () => {
    for (const payload of ['null', '[]', '42']) {
      const res = await deliverRaw(slack.stack.url, SIGNING_SECRET, `payload=${encodeURIComponent(payload)}`);
      assert.equal(res.status, 400, payload);
      assert.equal(res.body.error.code, 'invalid_request');
    }
  });

  test('a block_actions without user, or without actions, names what is missing', async () => {
    const noUser = await deliverToSlackEndpoint(slack.stack.url, SIGNING_SECRET, { type: 'block_actions', actions: [{ action_id: 'interlock_approve', value: 'act_X' }] });
    assert.equal(noUser.status, 400);
    assert.match(noUser.body.error.message, /user/);
    const noActions = await deliverToSlackEndpoint(slack.stack.url, SIGNING_SECRET, { type: 'block_actions', user: { id: 'U0BOB' } });
    assert.equal(noActions.status, 400);
    assert.match(noActions.body.error.message, /actions/);
  });

  test('a view_submission without view state, and a payload with NUL', async () => {
    const res = await deliverToSlackEndpoint(slack.stack.url, SIGNING_SECRET, { type: 'view_submission', user: { id: 'U0BOB' }, view: { id: 'V1' } });
    assert.equal(res.status, 400);
    const nul = await deliverToSlackEndpoint(slack.stack.url, SIGNING_SECRET, { type: 'block_actions', user: { id: `U0BOB${NUL}` }, actions: [{ action_id: 'interlock_approve', value: 'act_X' }] });
    assert.equal(nul.status, 400);
  });
});
