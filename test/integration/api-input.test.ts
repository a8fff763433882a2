import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { actions } from '../../db/schema';
import { freshDatabase } from '../support/database';
import { startStack, type TestStack } from '../support/stack';

const BOT = 'svc:etl-bot';

describe('bad input never gets a 500: each gets the contract error naming the problem, and changes nothing', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack?.stop());

  const count = async () => (await stack.services.database.db.select().from(actions)).length;
  const isContractError = (body: any) => typeof body?.error?.code === 'string' && typeof body.error.message === 'string' && Array.isArray(body.error.details);

  test('no token or an unknown token is 401', async () => {
    const none = await stack.call(null, 'GET', '/v1/actions');
    assert.equal(none.status, 401);
    assert.ok(isContractError(none.body));
    const bad = await stack.call('ilk_not-a-real-token', 'GET', '/v1/actions');
    assert.equal(bad.status, 401);
  });

  test('malformed JSON is 400 malformed_json', async () => {
    const res = await stack.call(BOT, 'POST', '/v1/actions', '{"action": "db.export", ', { 'content-type': 'application/json' });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'malformed_json');
  });

  test('missing and wrong-typed fields are 400 and name each field', async () => {
    const before = await count();
    const res = await stack.call(BOT, 'POST', '/v1/actions', { action: 42, params: 'x' });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'invalid_request');
    const fields = res.body.error.details.map((d: any) => d.field);
    assert.ok(fields.includes('resource'), JSON.stringify(fields));
    assert.ok(fields.includes('action'), JSON.stringify(fields));
    assert.ok(fields.includes('params'), JSON.stringify(fields));
    assert.equal(await count(), before);
  });

  test('a body field cannot claim another identity', async () => {
    const res = await stack.call(BOT, 'POST', '/v1/actions', { action: 'read.x', resource: 'r', requester: 'bob@example.com' });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /unknown field "requester"/);
  });

  test('a 10 MB body is refused with body_too_large', async () => {
    const huge = JSON.stringify({ action: 'read.x', resource: 'r', params: { blob: 'x'.repeat(10 * 1024 * 1024) } });
    const res = await stack.call(BOT, 'POST', '/v1/actions', huge);
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'body_too_large');
  });

  test('a rule requiring a justification refuses a submission without one: 422 naming the rule', async () => {
    const before = await count();
    const res = await stack.call(BOT, 'POST', '/v1/actions', { action: 'db.export', resource: 'r', environment: 'production' });
    assert.equal(res.status, 422);
    assert.match(res.body.error.message, /prod-data-export/);
    assert.equal(res.body.error.details[0].field, 'justification');
    assert.equal(await count(), before);
  });

  test('an Idempotency-Key longer than 255 characters is 400', async () => {
    const res = await stack.call(BOT, 'POST', '/v1/actions', { action: 'read.x', resource: 'r' }, { 'idempotency-key': 'k'.repeat(256) });
    assert.equal(res.status, 400);
  });

  test('an id that names no action is 404 on every route, whatever its shape; one with a control character is 400', async () => {
    assert.equal((await stack.call(BOT, 'GET', '/v1/actions/act_01UNKNOWN00000000000000000')).status, 404);
    assert.equal((await stack.call(BOT, 'GET', '/v1/actions/act_01UNKNOWN00000000000000000/audit')).status, 404);
    assert.equal((await stack.call('bob@example.com', 'POST', '/v1/actions/act_01UNKNOWN00000000000000000/decisions', { decision: 'approve' })).status, 404);
    assert.equal((await stack.call(BOT, 'POST', '/v1/actions/act_01UNKNOWN00000000000000000/cancel', {})).status, 404);
    for (const id of ['not-an-id', 'act_', 'act_has-dash', '..', `act_${'x'.repeat(80)}`]) {
      const res = await stack.call(BOT, 'GET', `/v1/actions/${encodeURIComponent(id)}`);
      assert.equal(res.status, 404, id);
      assert.equal(res.body.error.code, 'not_found');
    }
    assert.equal((await stack.call(BOT, 'GET', '/v1/actions/not-an-id/wait?timeout=0')).status, 404);
    assert.equal((await stack.call('bob@example.com', 'POST', '/v1/actions/not-an-id/decisions', { decision: 'approve' })).status, 404);
    const control = await stack.call(BOT, 'GET', '/v1/actions/act_01%01X');
    assert.equal(control.status, 400);
    assert.equal(control.body.error.details[0].field, 'params.id');
  });

  test('a vote with an invalid decision is 400; wait with a timeout above 300 is 400', async () => {
    const a = await stack.submit(BOT, { action: 'read.x', resource: 'r' });
    const vote = await stack.call('bob@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'maybe' });
    assert.equal(vote.status, 400);
    assert.equal((await stack.call(BOT, 'GET', `/v1/actions/${a.id}/wait?timeout=301`)).status, 400);
  });

  test('cancel takes no body at all (with or without a JSON Content-Type), or {"reason": ...}: each cancels', async () => {
    const pending = async () => {
      const a = await stack.submit(BOT, { action: 'db.export', resource: 'postgres://prod/customers', environment: 'production', justification: 'cancel test' });
      return (await stack.until(BOT, a.id, (x) => x.status === 'pending_approval')).id;
    };
    const bareId = await pending();
    const bare = await fetch(`${stack.url}/v1/actions/${bareId}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${stack.tokens[BOT]}` } });
    const bareBody = (await bare.json()) as { status: string };
    assert.equal(bare.status, 200, JSON.stringify(bareBody));
    assert.equal(bareBody.status, 'cancelled');
    // Many clients send Content-Type: application/json on every POST, with nothing after it.
    const emptyId = await pending();
    const empty = await fetch(`${stack.url}/v1/actions/${emptyId}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${stack.tokens[BOT]}`, 'content-type': 'application/json' } });
    const emptyBody = (await empty.json()) as { status: string };
    assert.equal(empty.status, 200, JSON.stringify(emptyBody));
    assert.equal(emptyBody.status, 'cancelled');
    const reasonId = await pending();
    const withReason = await stack.call(BOT, 'POST', `/v1/actions/${reasonId}/cancel`, { reason: 'no longer needed' });
    assert.equal(withReason.status, 200, JSON.stringify(withReason.body));
    assert.equal(withReason.body.status, 'cancelled');
    assert.equal((await stack.call(BOT, 'POST', `/v1/actions/${reasonId}/cancel`, { reason: 42 })).status, 400);
    assert.equal((await stack.call(BOT, 'POST', `/v1/actions/${reasonId}/cancel`, 'null')).status, 400, 'a JSON null is not "no body"');
  });

  test('a number beyond what JSON can carry (1e400) is 400 naming its field, wherever it is, and starts nothing', async () => {
    const before = (await stack.call('dave@example.com', 'GET', '/v1/actions?limit=200')).body.items.length;
    for (const [route, body, field] of [
      ['/v1/actions', '{"action": "read.x", "resource": "r", "params": {"n": 1e400}}', 'params.n'],
      ['/v1/actions', '{"action": "read.x", "resource": "r", "context": {"deep": [1, -1e400]}}', 'context.deep[1]'],
      ['/v1/actions', '{"action": "read.x", "resource": "r", "execute": {"type": "http", "target": "exporter", "path": "/run", "body": {"n": 1e999}}}', 'execute.body.n'],
      ['/v1/policy/evaluate', '{"action": "read.x", "resource": "r", "params": {"n": 1e400}}', 'params.n'],
      ['/v1/grants/redeem', '{"grant": "x.y.z", "params": {"n": 1e400}}', 'params.n'],
    ] as const) {
      const res = await stack.call(BOT, 'POST', route, body);
      assert.equal(res.status, 400, `${route} ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.details[0].field, field);
    }
    assert.equal((await stack.call('dave@example.com', 'GET', '/v1/actions?limit=200')).body.items.length, before);
  });

  test('an execute object that fits none of the forms is 422 target_not_allowed naming the field; one that is not an object is 400', async () => {
    for (const [execute, field] of [
      [{ type: 'ftp' }, 'execute.type'],
      [{ type: 'none', url: 'https://exporter.internal/run' }, 'execute.url'],
      [{ type: 'http', target: 'exporter', path: '/run', foo: 1 }, 'execute.foo'],
      [{ type: 'http', target: 'exporter', path: '/run', timeoutSeconds: 1e300 }, 'execute.timeoutSeconds'],
    ] as const) {
      const res = await stack.call(BOT, 'POST', '/v1/actions', { action: 'read.x', resource: 'r', execute });
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'target_not_allowed');
      assert.equal(res.body.error.details[0].field, field, JSON.stringify(res.body));
    }
    assert.equal((await stack.call(BOT, 'POST', '/v1/actions', { action: 'read.x', resource: 'r', execute: 'ftp' })).status, 400);
    assert.equal((await stack.call(BOT, 'POST', '/v1/actions', { action: 'read.x', resource: 'r', execute: { type: 'ftp' }, extra: 1 })).status, 400, 'wrong elsewhere too: 400');
  });

  test('a "__proto__" key anywhere in a body is refused with a message that says so', async () => {
    const res = await stack.call(BOT, 'POST', '/v1/actions', '{"action": "read.x", "resource": "r", "params": {"__proto__": []}}');
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'malformed_json');
    assert.match(res.body.error.message, /__proto__/);
  });

  test('an audit cursor beyond the largest safe integer is 400, not a database error', async () => {
    const res = await stack.call('dave@example.com', 'GET', '/v1/audit?cursor=11145556630911120000000');
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.error.details[0].field, 'querystring.cursor');
  });

  test('audit dates Postgres cannot store (year 0, an offset past 15:59) are bounded, not a database error', async () => {
    const res = await stack.call('dave@example.com', 'GET', `/v1/audit?from=${encodeURIComponent('0162-08-07T04:57:10.11-20:47')}&to=${encodeURIComponent('9999-12-31T23:59:59-23:59')}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.ok(res.body.items.length > 0);
    const none = await stack.call('dave@example.com', 'GET', `/v1/audit?to=${encodeURIComponent('0000-01-01T00:00:00+01:00')}`);
    assert.equal(none.status, 200, JSON.stringify(none.body));
    assert.equal(none.body.items.length, 0);
  });

  test('a forged list cursor is 400; an unknown route is 404 in the contract shape', async () => {
    assert.equal((await stack.call(BOT, 'GET', '/v1/actions?cursor=garbage')).status, 400);
    const res = await stack.call(BOT, 'GET', '/v1/nothing');
    assert.equal(res.status, 404);
    assert.ok(isContractError(res.body));
  });

  test('health, readiness, metrics and docs are open; the OpenAPI document lists every route', async () => {
    assert.equal((await stack.call(null, 'GET', '/healthz')).status, 200);
    const ready = await stack.call(null, 'GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.checks.policy.ok, true);
    const metrics = await fetch(`${stack.url}/metrics`);
    assert.match(await metrics.text(), /interlock_http_requests_total/);
    const doc = (await stack.call(null, 'GET', '/docs/json')).body;
    for (const route of ['/v1/actions', '/v1/actions/{id}', '/v1/actions/{id}/wait', '/v1/actions/{id}/decisions', '/v1/actions/{id}/cancel', '/v1/actions/{id}/result', '/v1/actions/{id}/audit', '/v1/audit', '/v1/audit/verify', '/v1/policy/evaluate']) {
      assert.ok(doc.paths[route], `OpenAPI documents ${route}`);
    }
  });

  test('the OpenAPI document lists what each route can answer: 400/401/429/503 behind a token, 413/415 with a body', async () => {
    const doc = (await stack.call(null, 'GET', '/docs/json')).body;
    for (const [route, methods] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(methods)) {
        const documented = Object.keys(op.responses);
        const needs = [...(op.security ? ['400', '401', '429', '503'] : ['429']), ...(op.requestBody ? ['413', '415'] : [])];
        for (const status of needs) assert.ok(documented.includes(status), `${method.toUpperCase()} ${route} documents ${status} (has ${documented})`);
      }
    }
    const cancel = doc.paths['/v1/actions/{id}/cancel'].post;
    assert.equal(cancel.requestBody.required, false, 'cancel takes no body');
    assert.equal(cancel['x-body-optional'], undefined);
    assert.equal(doc.paths['/v1/actions'].post.requestBody.required, true);
  });

  test('the list shows a requester its own actions and an auditor everything, newest first, with a cursor', async () => {
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push((await stack.submit(BOT, { action: 'read.list', resource: `r${i}` })).id);
    await stack.until(BOT, mine[2], (x) => x.status === 'approved');
    await stack.until(BOT, mine[0], (x) => x.status === 'approved');
    const page1 = (await stack.call(BOT, 'GET', '/v1/actions?action=read.list&limit=2')).body;
    assert.equal(page1.items.length, 2);
    assert.equal(page1.items[0].id, mine[2]);
    const page2 = (await stack.call(BOT, 'GET', `/v1/actions?action=read.list&limit=2&cursor=${page1.nextCursor}`)).body;
    assert.equal(page2.items[0].id, mine[0]);
    const auditor = (await stack.call('dave@example.com', 'GET', '/v1/actions?action=read.list')).body;
    assert.deepEqual(auditor.items.map((x: any) => x.id), [...mine].reverse());
    const stranger = (await stack.call('mallory@example.com', 'GET', '/v1/actions?action=read.list')).body;
    assert.equal(stranger.items.length, 0);
  });
});

describe('rate limiting is per principal', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack({ env: { INTERLOCK_RATE_LIMIT: '5' } });
  });
  after(() => stack?.stop());

  test('a principal over its limit gets 429 in the contract shape; another principal is unaffected', async () => {
    const codes = [];
    for (let i = 0; i < 7; i++) codes.push((await stack.call('svc:etl-bot', 'GET', '/v1/actions?limit=1')).status);
    assert.deepEqual(codes, [200, 200, 200, 200, 200, 429, 429]);
    const limited = await stack.call('svc:etl-bot', 'GET', '/v1/actions?limit=1');
    assert.equal(limited.body.error.code, 'rate_limited');
    assert.equal((await stack.call('bob@example.com', 'GET', '/v1/actions?limit=1')).status, 200);
  });
});

describe('a database that goes away is 503 with Retry-After, not 500', () => {
  // A real TCP hop between the API and Postgres that the test can cut, as a network partition would.
  let stack: TestStack;
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let cut = false;
  const sockets = new Set<net.Socket>();
  const hop = net.createServer((client) => {
    if (cut) return client.destroy();
    const upstream = net.connect(5432, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  before(async () => {
    db = await freshDatabase();
    await new Promise<void>((r) => hop.listen(0, '127.0.0.1', r));
    const url = new URL(db.url ?? 'postgres://postgres@127.0.0.1:5432/postgres');
    url.port = String((hop.address() as net.AddressInfo).port);
    stack = await startStack({ env: { DATABASE_URL: url.toString() } });
  });
  after(async () => {
    cut = false;
    await stack?.stop();
    hop.close();
    await db?.drop();
  });

  test('with the database unreachable an authenticated route answers 503 unavailable; it recovers when it is back', async () => {
    assert.equal((await stack.call(BOT, 'GET', '/v1/actions')).status, 200);
    cut = true;
    for (const s of sockets) s.destroy();
    const res = await fetch(`${stack.url}/v1/actions`, { headers: { authorization: `Bearer ${stack.tokens[BOT]}` } });
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(res.status, 503, JSON.stringify(body));
    assert.equal(body.error.code, 'unavailable');
    assert.match(body.error.message, /database/);
    assert.ok(Number(res.headers.get('retry-after')) > 0);
    cut = false;
    assert.equal((await stack.call(BOT, 'GET', '/v1/actions')).status, 200);
  });
});
