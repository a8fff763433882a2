import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { actionAuditEvents } from '../../audit';
import { actions } from '../../db/schema';
import { getActionQuery } from '../../workflows/messages';
import { startStack, type TestStack } from '../support/stack';

/**
 * A response schema also serialises: a field it does not name is silently dropped, a wrong type coerced.
 * So the API's answers are compared with what the workflow and the audit store really hold, field by field.
 */
describe('the API answers with the whole Action and every audit field, as stored', () => {
  let stack: TestStack;
  let id: string;
  before(async () => {
    stack = await startStack();
    const a = await stack.submit('svc:etl-bot', {
      action: 'db.export', resource: 'postgres://prod/customers', environment: 'production', justification: 'monthly reconciliation',
      params: { table: 'customers', nested: { rows: [1, 2] } }, context: { agent: 'etl-bot', runUrl: 'https://ci.example.com/runs/42' },
    });
    id = a.id;
    await stack.until('svc:etl-bot', id, (x) => x.status === 'pending_approval');
    for (const voter of ['bob@example.com', 'erin@example.com']) assert.equal((await stack.call(voter, 'POST', `/v1/actions/${id}/decisions`, { decision: 'approve', comment: `ok from ${voter}` })).status, 200);
    await stack.until('svc:etl-bot', id, (x) => x.status === 'approved');
  });
  after(() => stack?.stop());

  const withoutLinks = ({ links, ...rest }: Record<string, unknown>) => (assert.ok(links), rest);
  /** The grant as the API shows it: never the facts (jti, issuedAt) the token is made from. */
  const shownGrant = (stored: any) => ({ expiresAt: stored.expiresAt, redeemedAt: stored.redeemedAt });

  test('a pending-then-approved Action equals the workflow\'s own, decision and votes included', async () => {
    const live = await stack.temporal.workflow.getHandle(id).query(getActionQuery);
    const res = await stack.call('svc:etl-bot', 'GET', `/v1/actions/${id}`);
    assert.equal(res.status, 200);
    const stored = JSON.parse(JSON.stringify(live));
    assert.match(res.body.grant.token, /^ey[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.deepEqual(withoutLinks(res.body), { ...stored, grant: { ...shownGrant(stored.grant), token: res.body.grant.token } });
  });

  test('a finished Action equals its recorded snapshot, result included', async () => {
    const done = await stack.call('svc:etl-bot', 'POST', `/v1/actions/${id}/result`, { status: 'succeeded', output: { rows: 3, file: 's3://x' } });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const finished = await stack.until('svc:etl-bot', id, (x) => x.status === 'succeeded');
    const [row] = await stack.services.database.db.select({ snapshot: actions.snapshot }).from(actions).where(eq(actions.id, id));
    const stored = row.snapshot as any;
    assert.deepEqual(withoutLinks(finished), { ...stored, grant: shownGrant(stored.grant) });
  });

  test("the action's audit events and the audit query answer every stored field", async () => {
    const stored = JSON.parse(JSON.stringify(await actionAuditEvents(stack.services.database.db, id)));
    assert.ok(stored.length >= 5);
    const perAction = await stack.call('dave@example.com', 'GET', `/v1/actions/${id}/audit`);
    assert.deepEqual(perAction.body.items, stored);
    const queried = await stack.call('dave@example.com', 'GET', `/v1/audit?action_id=${id}`);
    assert.deepEqual(queried.body.items, stored);
  });
});
