import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { actions } from '../../db/schema';
import { startStack, type TestStack } from '../support/stack';

const BOT = 'svc:etl-bot';
const isContractError = (body: any) => typeof body?.error?.code === 'string' && typeof body.error.message === 'string' && Array.isArray(body.error.details);

describe('params over the 64 KiB default are refused before anything starts', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack?.stop());

  const count = async () => (await stack.services.database.db.select().from(actions)).length;
  const big = { blob: 'x'.repeat(1000 * 1024) }; // the 1,000 KiB that made 6.2 MB of workflow history

  test('a rule without max_params_bytes: 422 naming the rule and params, with the size and the limit', async () => {
    const before = await count();
    const res = await stack.call(BOT, 'POST', '/v1/actions', { action: 'read.table', resource: 'r', environment: 'staging', params: big });
    assert.equal(res.status, 422);
    assert.ok(isContractError(res.body));
    assert.deepEqual(res.body.error.details.map((d: any) => [d.field, d.ruleId]), [['params', 'read-only']]);
    assert.match(res.body.error.message, /params are 1024011 bytes as JSON; rule "read-only" sets no max_params_bytes, so the default of 65536 bytes \(64 KiB\) applies/);
    assert.equal(await count(), before);
  });

  test('no rule matched: 422 naming the default', async () => {
    const res = await stack.call(BOT, 'POST', '/v1/actions', { action: 'k8s.deploy', resource: 'r', params: big });
    assert.equal(res.status, 422);
    assert.deepEqual(res.body.error.details.map((d: any) => [d.field, d.ruleId]), [['params', null]]);
    assert.match(res.body.error.message, /the default allows at most 65536 bytes \(64 KiB\)/);
  });

  test('params under 64 KiB are accepted', async () => {
    const res = await stack.call(BOT, 'POST', '/v1/actions', { action: 'read.table', resource: 'r', environment: 'staging', params: { blob: 'x'.repeat(60 * 1024) } });
    assert.equal(res.status, 202);
  });
});

describe('unauthenticated requests are rate limited per address', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack({ env: { INTERLOCK_RATE_LIMIT_ANON: '5' } });
  });
  after(() => stack?.stop());

  test('bad tokens and missing tokens share the budget; beyond it 429 with Retry-After; probes and metrics stay open', async () => {
    const valid = await stack.call(BOT, 'GET', '/v1/actions?limit=1');
    assert.equal(valid.status, 200, 'a valid token does not spend the budget');
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) codes.push((await stack.call(`ilk_guess-${i}`, 'GET', '/v1/actions')).status);
    for (let i = 0; i < 2; i++) codes.push((await stack.call(null, 'GET', '/v1/actions')).status);
    assert.deepEqual(codes, [401, 401, 401, 401, 401]);

    for (const as of [null, 'ilk_guess-next']) {
      const res = await fetch(`${stack.url}/v1/actions`, { headers: as ? { authorization: `Bearer ${as}` } : {} });
      assert.equal(res.status, 429);
      const body: any = await res.json();
      assert.ok(isContractError(body));
      assert.equal(body.error.code, 'rate_limited');
      assert.match(body.error.message, /INTERLOCK_RATE_LIMIT_ANON/);
      assert.ok(Number(res.headers.get('retry-after')) >= 1, 'Retry-After says when to come back');
    }
    assert.equal((await fetch(`${stack.url}/docs/json`)).status, 429, 'the open docs count too');
    for (const probe of ['/healthz', '/readyz', '/metrics']) {
      for (let i = 0; i < 10; i++) assert.notEqual((await fetch(stack.url + probe)).status, 429, `${probe} is never rate limited`);
    }
    // A valid token from a spent address is still served: junk from a shared address (a proxy, a NAT) must not lock approvers out.
    assert.equal((await stack.call(BOT, 'GET', '/v1/actions?limit=1')).status, 200);
    assert.equal((await stack.call('ilk_guess-after', 'GET', '/v1/actions')).status, 429, 'while a bad one is still refused');
  });
});

describe('workflow starts are limited per principal', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack({ env: { INTERLOCK_START_LIMIT: '3' } });
  });
  after(() => stack?.stop());

  test('a principal over INTERLOCK_START_LIMIT gets 429 naming the limit and starts nothing; another principal still submits', async () => {
    const body = { action: 'read.table', resource: 'r', environment: 'staging' };
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await stack.call(BOT, 'POST', '/v1/actions', body)).status);
    assert.deepEqual(codes, [202, 202, 202]);
    const before = (await stack.services.database.db.select().from(actions)).length;
    const res = await fetch(`${stack.url}/v1/actions`, { method: 'POST', headers: { authorization: `Bearer ${stack.tokens[BOT]}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 429);
    const refused: any = await res.json();
    assert.equal(refused.error.code, 'rate_limited');
    assert.match(refused.error.message, /more than 3 workflow starts a minute \(INTERLOCK_START_LIMIT\)/);
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
    assert.equal((await stack.services.database.db.select().from(actions)).length, before);
    assert.equal((await stack.call('alice@example.com', 'POST', '/v1/actions', body)).status, 202, 'another principal has its own budget');
    assert.equal((await stack.call(BOT, 'GET', '/v1/actions?limit=1')).status, 200, 'reads are not starts');
  });
});

describe('interlock_actions_submitted_total has bounded labels', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack?.stop());

  const series = async () => {
    const text = await (await fetch(`${stack.url}/metrics`)).text();
    return Object.fromEntries(text.split('\n').filter((l) => l.startsWith('interlock_actions_submitted_total{')).map((l) => [l.slice(l.indexOf('{'), l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]));
  };

  test('names the policy does not use are counted as other, a value matching only a prefix rule too; a replay is not counted again', async () => {
    const key = { 'idempotency-key': 'metrics-replay' };
    const named = { action: 'db.export', resource: 'r', environment: 'production', justification: 'why' };
    assert.equal((await stack.call(BOT, 'POST', '/v1/actions', named, key)).status, 202);
    assert.equal((await stack.call(BOT, 'POST', '/v1/actions', named, key)).status, 202, 'an idempotent replay');
    for (let i = 0; i < 3; i++) {
      assert.equal((await stack.call(BOT, 'POST', '/v1/actions', { action: `read.t${i}-${Date.now()}`, resource: 'r', environment: `env-${i}-${Math.random().toString(36).slice(2)}` })).status, 202);
    }
    assert.equal((await stack.call(BOT, 'POST', '/v1/actions', { action: `made.up.${Date.now()}`, resource: 'r', environment: 'production' })).status, 202);
    assert.deepEqual(await series(), {
      '{action="db.export",environment="production"}': 1,
      '{action="other",environment="other"}': 3,
      '{action="other",environment="production"}': 1,
    });
  });
});
