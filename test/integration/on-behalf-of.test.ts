import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startStack, type TestStack } from '../support/stack';

const BOT = 'svc:etl-bot';
const ALICE = 'alice@example.com';
const AUDITOR = 'dave@example.com';
const SPELLINGS = ['Alice@example.com', ' alice@example.com', 'alice@example.com ', 'ALICE@EXAMPLE.COM', 'U0ALICE'];

const policy = `version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - id: delegated-read
    when: action == "read.delegated" && onBehalfOf == "alice@example.com"
    decision: allow
  - id: export
    when: action == "db.export"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 2}
    timeout: 1h
`;

describe('on-behalf-of is an identity: every spelling of a principal is that principal, and nobody else is accepted', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack({ policy });
  });
  after(() => stack?.stop());

  const startedOnThisQueue = async () => {
    const ids: string[] = [];
    for await (const wf of stack.temporal.workflow.list({ query: `TaskQueue = "${stack.taskQueue}"` })) ids.push(wf.workflowId);
    return ids;
  };

  test('an onBehalfOf nobody in principals.yaml has is 422 unknown_principal naming the field, and starts nothing', async () => {
    const res = await stack.call(BOT, 'POST', '/v1/actions', { action: 'db.export', resource: 'db://customers', onBehalfOf: 'ghost@nowhere.invalid' });
    assert.equal(res.status, 422);
    assert.equal(res.body.error.code, 'unknown_principal');
    assert.match(res.body.error.message, /ghost@nowhere\.invalid/);
    assert.match(res.body.error.message, /principals\.yaml/);
    assert.deepEqual(res.body.error.details.map((d: any) => d.field), ['onBehalfOf']);

    // A valid submission afterwards is the only workflow on this stack's task queue once it is visible.
    const reference = await stack.submit(BOT, { action: 'db.export', resource: 'db://reference' });
    await stack.until(AUDITOR, reference.id, (a) => a.status === 'pending_approval');
    let ids: string[] = [];
    for (const end = Date.now() + 10_000; Date.now() < end && !ids.includes(reference.id);) ids = await startedOnThisQueue();
    assert.deepEqual(ids, [reference.id]);
    assert.equal((await stack.call(AUDITOR, 'GET', '/v1/actions')).body.items.length, 1);
  });

  for (const spelling of SPELLINGS) {
    test(`onBehalfOf ${JSON.stringify(spelling)} is stored as ${ALICE}, and alice cannot approve it`, async () => {
      const submitted = await stack.submit(BOT, { action: 'db.export', resource: 'db://customers', onBehalfOf: spelling });
      assert.equal(submitted.onBehalfOf, ALICE);
      const pending = await stack.until(AUDITOR, submitted.id, (a) => a.status === 'pending_approval');
      assert.equal(pending.onBehalfOf, ALICE);

      const behalf = await stack.call(ALICE, 'POST', `/v1/actions/${submitted.id}/decisions`, { decision: 'approve' });
      assert.equal(behalf.status, 403);
      assert.equal(behalf.body.error.code, 'on_behalf_of_approval');
      assert.equal((await stack.call(AUDITOR, 'GET', `/v1/actions/${submitted.id}`)).body.approvals.length, 0);

      assert.equal((await stack.call(ALICE, 'GET', `/v1/actions/${submitted.id}`)).status, 200, 'the person acted for reads the action');
      const audit = (await stack.call(AUDITOR, 'GET', `/v1/actions/${submitted.id}/audit`)).body.items;
      assert.equal(audit.find((e: any) => e.type === 'action.submitted').data.submission.onBehalfOf, ALICE);
    });
  }

  test('the policy sees the canonical id, in the dry run and in a submission', async () => {
    for (const spelling of SPELLINGS) {
      const dry = await stack.call(BOT, 'POST', '/v1/policy/evaluate', { action: 'read.delegated', resource: 'r', onBehalfOf: spelling });
      assert.equal(dry.status, 200);
      assert.equal(dry.body.decision.ruleId, 'delegated-read', JSON.stringify(spelling));
      assert.deepEqual(dry.body.problems, []);
    }
    const a = await stack.submit(BOT, { action: 'read.delegated', resource: 'r', onBehalfOf: 'U0ALICE' });
    const done = (await stack.call(BOT, 'GET', `/v1/actions/${a.id}/wait?timeout=10`)).body;
    assert.equal(done.status, 'approved');
    assert.equal(done.decision.ruleId, 'delegated-read');
  });

  test('the dry run reports an unknown onBehalfOf among its problems, as a submission would be refused', async () => {
    const dry = await stack.call(BOT, 'POST', '/v1/policy/evaluate', { action: 'db.export', resource: 'r', onBehalfOf: 'ghost@nowhere.invalid' });
    assert.equal(dry.status, 200);
    const problem = dry.body.problems.find((p: any) => p.field === 'onBehalfOf');
    assert.equal(problem?.code, 'unknown_principal');
    assert.match(problem.message, /ghost@nowhere\.invalid/);
  });

  test('no onBehalfOf, or null, is still allowed', async () => {
    assert.equal((await stack.submit(BOT, { action: 'db.export', resource: 'r' })).onBehalfOf, null);
    assert.equal((await stack.submit(BOT, { action: 'db.export', resource: 'r', onBehalfOf: null })).onBehalfOf, null);
  });

  test('the list filter by requester takes any spelling of an e-mail id', async () => {
    const a = await stack.submit('bob@example.com', { action: 'db.export', resource: 'listed-by-bob' });
    await stack.until('bob@example.com', a.id, (x) => x.status === 'pending_approval'); // listed from the projection
    const listed = await stack.call(AUDITOR, 'GET', `/v1/actions?requester=${encodeURIComponent(' Bob@Example.COM ')}`);
    assert.equal(listed.status, 200);
    assert.ok(listed.body.items.some((x: any) => x.id === a.id), JSON.stringify(listed.body.items.map((x: any) => x.requester)));
  });

  test('the person an action is made on behalf of finds it in the list, as they can read it', async () => {
    const a = await stack.submit(BOT, { action: 'db.export', resource: 'listed-for-mallory', onBehalfOf: 'Mallory@Example.com' });
    await stack.until(BOT, a.id, (x) => x.status === 'pending_approval'); // listed from the projection
    assert.equal((await stack.call('mallory@example.com', 'GET', `/v1/actions/${a.id}`)).status, 200);
    const listed = await stack.call('mallory@example.com', 'GET', '/v1/actions?action=db.export');
    assert.deepEqual(listed.body.items.map((x: any) => x.id), [a.id]);
  });
});
