import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ErrorCode, InterlockError } from '../../core';
import { build, tokenFor } from '../helper';

// Request validation on the Fastify app alone: no database, no Temporal, a core that must not be reached.
let app: FastifyInstance;
const auth = { authorization: `Bearer ${tokenFor('svc:etl-bot')}` };

before(async () => {
  app = await build({
    core: {
      get: async (_caller, id) => {
        throw new InterlockError(ErrorCode.notFound, `action ${id} was not found`);
      },
    },
  });
});
after(() => app.close());

test('a route behind a token answers 401 without one, before validating anything', async () => {
  const res = await app.inject({ method: 'POST', url: '/v1/actions', payload: { nonsense: true } });
  assert.equal(res.statusCode, 401);
  assert.equal(res.json().error.code, 'unauthorized');
});

test('an unknown field in a submission is 400 invalid_request naming it', async () => {
  const res = await app.inject({ method: 'POST', url: '/v1/actions', headers: auth, payload: { action: 'db.query', resource: 'r', nonsense: 1 } });
  assert.equal(res.statusCode, 400);
  const { error } = res.json();
  assert.equal(error.code, 'invalid_request');
  assert.deepEqual(error.details, [{ field: 'nonsense', message: 'unknown field "nonsense" is not allowed' }]);
});

test('an execute object that fits no form (postgres with no target) is 422 target_not_allowed, naming the field', async () => {
  const res = await app.inject({ method: 'POST', url: '/v1/actions', headers: auth, payload: { action: 'db.query', resource: 'r', execute: { type: 'postgres' } } });
  assert.equal(res.statusCode, 422);
  assert.equal(res.json().error.code, 'target_not_allowed');
  assert.match(res.json().error.details.map((d: { field: string }) => d.field).join(','), /^execute/);
});

test('a vote that is neither approve nor deny is 400 naming decision', async () => {
  const res = await app.inject({ method: 'POST', url: '/v1/actions/act_1/decisions', headers: auth, payload: { decision: 'maybe' } });
  assert.equal(res.statusCode, 400);
  assert.ok(res.json().error.details.some((d: { field: string }) => d.field === 'decision'));
});

test("the core's InterlockError is mapped by its code: not_found is 404 in the contract's shape", async () => {
  const res = await app.inject({ method: 'GET', url: '/v1/actions/act_1', headers: auth });
  assert.equal(res.statusCode, 404);
  assert.deepEqual(res.json(), { error: { code: 'not_found', message: 'action act_1 was not found', details: [] } });
});

test('the OpenAPI document shows the submission execute as the registry union', async () => {
  const res = await app.inject({ method: 'GET', url: '/docs/json' });
  assert.equal(res.statusCode, 200);
  const body = res.json().paths['/v1/actions'].post.requestBody.content['application/json'].schema;
  const types = body.properties.execute.anyOf.map((s: { properties: { type: { const?: string; enum?: string[] } } }) => s.properties.type.const ?? s.properties.type.enum?.[0]);
  assert.deepEqual(types, ['none', 'http', 'postgres']);
});

test("an executor's own execute fields reach the Action's response (the response schema names only http's)", async () => {
  const action = {
    id: 'act_2', action: 'db.query', resource: 'r', environment: 'default', params: {}, justification: null, requester: 'svc:etl-bot', onBehalfOf: null, context: {},
    execute: { type: 'http', url: 'https://example.com/x', method: 'POST', extra: 'kept' }, breakGlass: false, status: 'pending_approval', decision: null, approvals: [],
    result: null, statusReason: null, grantExpiresAt: null, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z',
  };
  const shown = await build({ core: { get: async () => action as never } });
  try {
    const res = await shown.inject({ method: 'GET', url: '/v1/actions/act_2', headers: auth });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().execute.extra, 'kept');
  } finally {
    await shown.close();
  }
});

test('a path segment longer than the router allows is 400 invalid_request, never 500', async () => {
  for (const [method, url] of [['GET', `/v1/actions/${'0'.repeat(101)}`], ['DELETE', `/v1/tokens/${'0'.repeat(101)}`], ['POST', `/v1/actions/${'a'.repeat(300)}/cancel`]] as const) {
    const res = await app.inject({ method, url, headers: auth });
    assert.equal(res.statusCode, 400, `${method} ${url.slice(0, 20)}…`);
    assert.equal(res.json().error.code, 'invalid_request');
    assert.match(res.json().error.message, /longer than 100 characters/);
  }
});
