import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { actions } from '../../db/schema';
import { startStack, type TestStack } from '../support/stack';

const BOT = 'svc:etl-bot';
const AUDITOR = 'dave@example.com';
const SECRET = 'hunter2';
const API_KEY = 'k-3f9a1c-never-shown';

/** Every string in a workflow history, payloads decoded from their bytes, so a secret anywhere in it is found. */
function historyText(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return value.map(historyText).join('\n');
  if (value && typeof value === 'object') return Object.values(value).map(historyText).join('\n');
  return String(value);
}

describe('values of secret-looking params keys never become permanent', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack({ targets: 'targets:\n  hook: {type: http, url: "https://example.com/"}\n' });
  });
  after(() => stack?.stop());

  test('the Action, the list, the audit trail, the projection and the workflow history show [redacted]; other keys are kept', async () => {
    const params = { db_password: SECRET, nested: { apiKey: API_KEY, rows: [{ token: SECRET, name: 'kept' }] }, tokenizer: 'bpe' };
    const submitted = await stack.call(BOT, 'POST', '/v1/actions', { action: 'db.export', resource: 'postgres://prod/customers', environment: 'production', justification: 'reconciliation', params });
    assert.equal(submitted.status, 202);
    const expected = { db_password: '[redacted]', nested: { apiKey: '[redacted]', rows: [{ token: '[redacted]', name: 'kept' }] }, tokenizer: 'bpe' };
    assert.deepEqual(submitted.body.params, expected);
    const id = submitted.body.id;
    const pending = await stack.until(AUDITOR, id, (a) => a.status === 'pending_approval');
    assert.deepEqual(pending.params, expected);

    const vote = await stack.call('alice@example.com', 'POST', `/v1/actions/${id}/decisions`, { decision: 'approve' });
    assert.equal(vote.status, 200);
    const seen = {
      submit: submitted.body,
      vote: vote.body,
      get: (await stack.call(AUDITOR, 'GET', `/v1/actions/${id}`)).body,
      wait: (await stack.call(AUDITOR, 'GET', `/v1/actions/${id}/wait?timeout=0`)).body,
      list: (await stack.call(BOT, 'GET', '/v1/actions?limit=5')).body,
      actionAudit: (await stack.call(AUDITOR, 'GET', `/v1/actions/${id}/audit`)).body,
      audit: (await stack.call(AUDITOR, 'GET', `/v1/audit?action_id=${id}`)).body,
      projection: await stack.services.database.db.select().from(actions).where(eq(actions.id, id)),
    };
    assert.ok(seen.list.items.some((a: any) => a.id === id), 'the list holds the action');
    const submittedEvent = seen.actionAudit.items.find((e: any) => e.type === 'action.submitted');
    assert.deepEqual(submittedEvent.data.submission.params, expected, 'the audit trail records the redacted params');
    for (const [where, body] of Object.entries(seen)) {
      const text = JSON.stringify(body);
      assert.ok(!text.includes(SECRET) && !text.includes(API_KEY), `${where} hides the secret values`);
      assert.ok(text.includes('"tokenizer":"bpe"'), `${where} keeps tokenizer`);
    }

    const history = historyText(await stack.temporal.workflow.getHandle(id).fetchHistory());
    assert.ok(history.includes('bpe') && history.includes('[redacted]'), 'the history holds the submission');
    assert.ok(!history.includes(SECRET) && !history.includes(API_KEY), 'the workflow history hides the secret values');
  });

  test('context.password is redacted; an execute.body.password is refused and never reaches the audit trail or a workflow', async () => {
    const CONTEXT_SECRET = 'ctx-pw-9d1e-never-kept';
    const BODY_SECRET = 'body-pw-4b7c-never-kept';
    const submitted = await stack.call(BOT, 'POST', '/v1/actions', { action: 'db.export', resource: 'postgres://prod/orders', environment: 'production', justification: 'audit', context: { password: CONTEXT_SECRET, ticket: 'OPS-1' } });
    assert.equal(submitted.status, 202);
    assert.deepEqual(submitted.body.context, { password: '[redacted]', ticket: 'OPS-1' });
    const id = submitted.body.id;
    await stack.until(AUDITOR, id, (a) => a.status === 'pending_approval');

    const refused = await stack.call(BOT, 'POST', '/v1/actions', {
      action: 'svc.call', resource: 'svc://x', environment: 'production', justification: 'audit',
      execute: { type: 'http', url: 'https://example.com/hook', body: { user: 'svc', password: BODY_SECRET } },
    });
    assert.equal(refused.status, 422);
    assert.equal(refused.body.error.code, 'credential_in_request');
    assert.equal(refused.body.error.details[0].field, 'execute.body.password');
    assert.match(refused.body.error.message, /server-side configuration, not in the request/);
    assert.ok(!JSON.stringify(refused.body).includes(BODY_SECRET), 'the refusal does not repeat the value');

    const trail = JSON.stringify((await stack.call(AUDITOR, 'GET', '/v1/audit?limit=1000')).body);
    assert.ok(trail.includes(id) && trail.includes('OPS-1'), 'the trail holds the submission');
    assert.ok(!trail.includes(CONTEXT_SECRET) && !trail.includes(BODY_SECRET), 'the audit trail holds neither secret');
    const history = historyText(await stack.temporal.workflow.getHandle(id).fetchHistory());
    assert.ok(history.includes('OPS-1') && !history.includes(CONTEXT_SECRET), 'the workflow history hides context.password');
    const listed = JSON.stringify((await stack.call(AUDITOR, 'GET', '/v1/actions?limit=100')).body);
    assert.ok(!listed.includes(BODY_SECRET) && !listed.includes(CONTEXT_SECRET), 'no action holds either secret');
  });

  test('the dry run sees the redacted params too, and the Idempotency-Key still covers the raw body', async () => {
    const body = { action: 'read.table', resource: 'r', environment: 'staging', params: { password: SECRET } };
    const dry = await stack.call(BOT, 'POST', '/v1/policy/evaluate', body);
    assert.equal(dry.status, 200);
    assert.ok(!JSON.stringify(dry.body).includes(SECRET));
    const first = await stack.call(BOT, 'POST', '/v1/actions', body, { 'idempotency-key': 'redaction-key-1' });
    assert.equal(first.status, 202);
    assert.equal((await stack.call(BOT, 'POST', '/v1/actions', body, { 'idempotency-key': 'redaction-key-1' })).body.id, first.body.id, 'the same raw body is the same action');
    const changed = await stack.call(BOT, 'POST', '/v1/actions', { ...body, params: { password: 'another secret' } }, { 'idempotency-key': 'redaction-key-1' });
    assert.equal(changed.status, 422, 'a different secret is a different body, although both are shown as [redacted]');
    assert.equal(changed.body.error.code, 'idempotency_key_reused');
  });
});
