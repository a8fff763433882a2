import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SlackFake, type SlackCall } from '../support/slack-fake';
import { buttonClick, deliverRaw, deliverToSlackEndpoint, modalSubmission } from '../support/slack-requests';
import { eventually, SIGNING_SECRET, SLACK_POLICY, SLACK_PRINCIPALS, slackEnv, slackTargets } from '../support/slack-fixtures';
import { startStack, type TestStack } from '../support/stack';

const BOT = 'svc:etl-bot';
const AUDITOR = 'dave@example.com';

describe('Slack: approvers decide from the request message, as safely as through the API', () => {
  let stack: TestStack;
  let fake: SlackFake;
  before(async () => {
    fake = await new SlackFake().start();
    fake.addUsers({ id: 'U0GINA', email: 'gina@example.com' }, { id: 'U0OLGA', email: 'Olga@Example.com' }, { id: 'U0NOBODY', email: 'nobody@elsewhere.test' });
    stack = await startStack({ policy: SLACK_POLICY, principals: SLACK_PRINCIPALS, env: slackEnv(fake), targets: slackTargets(fake), slack: true });
  });
  after(async () => {
    await stack?.stop();
    await fake?.stop();
  });

  const requestFor = (id: string) => fake.waitFor('chat.postMessage', (c) => !c.body.thread_ts && JSON.stringify(c.body.blocks ?? []).includes(id));
  const click = (user: string, actionId: string, post: SlackCall, extra: { retryNum?: number } = {}) =>
    deliverToSlackEndpoint(stack.url, SIGNING_SECRET, buttonClick({ user, actionId, value: idIn(post), channel: post.body.channel, messageTs: tsOf(post) }), extra);
  const ephemeralsTo = (user: string, id: string) => fake.callsTo('chat.postEphemeral', (c) => c.body.user === user && String(c.body.text).includes(id));

  test('a request is posted to the rule\'s channel with everything needed to decide, secrets redacted', async () => {
    const a = await stack.submit(BOT, {
      action: 'db.export',
      resource: 'postgres://prod/customers',
      environment: 'production',
      params: { table: 'customers', connection: { host: 'db.internal', password: 'hunter2' }, apiToken: 'xoxp-do-not-show', nested: [{ awsSecretKey: 'AKIA-do-not-show' }] },
      justification: 'monthly revenue reconciliation <!channel>',
      onBehalfOf: 'alice@example.com',
    });
    const post = await requestFor(a.id);
    assert.equal(post.body.channel, '#data-approvals');
    assert.equal(post.token, 'xoxb-interlock-test');
    const blocks = post.body.blocks as any[];
    const text = JSON.stringify(blocks);
    for (const expected of ['db.export', 'postgres://prod/customers', 'production', BOT, 'alice@example.com', 'slack-data-export', 'high', 'SOC2:CC6.1, ISO27001:A.8.2', '0 of 2', 'monthly revenue reconciliation', '[redacted]', 'db.internal', 'group data-owners']) {
      assert.ok(text.includes(expected), `the message shows ${expected}`);
    }
    for (const secret of ['hunter2', 'xoxp-do-not-show', 'AKIA-do-not-show']) assert.ok(!text.includes(secret), `the message hides ${secret}`);
    assert.ok(text.includes('&lt;!channel&gt;') && !text.includes('<!channel>'), 'what a requester types cannot ping a channel');
    assert.match(text, /<!date\^\d+\^/, 'the deadline is a Slack date');
    assert.ok(text.includes(`/v1/actions/${a.id}|`) && text.includes(`/workflows/${a.id}|Temporal UI`), 'links to the action and to Temporal UI');
    const buttons = blocks.find((b) => b.type === 'actions').elements;
    assert.deepEqual(buttons.map((b: any) => [b.action_id, b.value]), [['interlock_approve', a.id], ['interlock_deny', a.id]]);

    // The reference is stored right after Slack answers the post: wait for it rather than race it.
    const stored = await eventually(() => stack.services.database.db.query.slackMessages.findFirst({ where: (m, { eq }) => eq(m.actionId, a.id) }), 5_000);
    assert.deepEqual({ channel: stored?.channel, ts: stored?.ts }, { channel: '#data-approvals', ts: tsOf(post) });
    const other = await stack.submit(BOT, { action: 'cache.flush', resource: 'redis://prod' });
    assert.equal((await requestFor(other.id)).body.channel, '#approvals', 'a rule without slack_channel posts to SLACK_DEFAULT_CHANNEL');
  });

  test('two approvers click Approve: approved, executed, and the message shows who and loses its buttons', async () => {
    const a = await stack.submit(BOT, { action: 'db.export', resource: 'postgres://prod/orders', execute: { type: 'http', url: `${fake.url}/exec` } });
    const post = await requestFor(a.id);
    const first = await click('U0BOB', 'interlock_approve', post);
    assert.equal(first.status, 200);
    await stack.until(BOT, a.id, (x) => x.approvals.length === 1);
    await fake.waitFor('chat.update', (c) => c.body.ts === tsOf(post) && JSON.stringify(c.body.blocks).includes('1 of 2') && JSON.stringify(c.body.blocks).includes('bob@example.com approved'));
    assert.equal((await click('U0GINA', 'interlock_approve', post)).status, 200, 'gina is found by her Slack e-mail');

    const done = await stack.until(BOT, a.id, (x) => x.status === 'succeeded');
    assert.deepEqual(done.approvals.map((v: any) => [v.principal, v.decision, v.via]), [['bob@example.com', 'approve', 'slack'], ['gina@example.com', 'approve', 'slack']]);
    const final = await fake.waitFor('chat.update', (c) => c.body.ts === tsOf(post) && JSON.stringify(c.body.blocks).includes('*Result*: succeeded'));
    const blocks = JSON.stringify(final.body.blocks);
    assert.ok(blocks.includes('Approved* by bob@example.com, gina@example.com'));
    assert.ok(blocks.includes('HTTP 200'));
    assert.ok(!(final.body.blocks as any[]).some((b) => b.type === 'actions'), 'no buttons once closed');
    assert.equal(fake.callsTo('chat.postEphemeral', (c) => String(c.body.text).includes(a.id)).length, 0, 'accepted votes need no reply');
  });

  test('the requester clicking Approve is refused at once, privately, and no vote counts; so is an unmapped Slack user', async () => {
    const a = await stack.submit('riley@example.com', { action: 'db.export', resource: 'postgres://prod/leads' });
    const post = await requestFor(a.id);
    assert.equal((await click('U0RILEY', 'interlock_approve', post)).status, 200);
    const refusal = await fake.waitFor('chat.postEphemeral', (c) => c.body.user === 'U0RILEY' && String(c.body.text).includes(a.id));
    assert.equal(refusal.body.channel, '#data-approvals');
    assert.match(refusal.body.text, /was not counted: riley@example\.com submitted this action and cannot decide on it/);

    assert.equal((await click('U0NOBODY', 'interlock_approve', post)).status, 200);
    const unmapped = await fake.waitFor('chat.postEphemeral', (c) => c.body.user === 'U0NOBODY');
    assert.match(unmapped.body.text, /not mapped to an Interlock principal/);
    assert.match(unmapped.body.text, /slack: U0NOBODY/);
    assert.equal((await stack.call(AUDITOR, 'GET', `/v1/actions/${a.id}`)).body.approvals.length, 0);
  });

  test('the person an action is on behalf of, in any spelling, clicking Approve is refused and no vote counts', async () => {
    const a = await stack.submit(BOT, { action: 'db.export', resource: 'postgres://prod/behalf', onBehalfOf: 'ALICE@EXAMPLE.COM' });
    assert.equal(a.onBehalfOf, 'alice@example.com');
    const post = await requestFor(a.id);
    assert.equal((await click('U0ALICE', 'interlock_approve', post)).status, 200);
    const refusal = await fake.waitFor('chat.postEphemeral', (c) => c.body.user === 'U0ALICE' && String(c.body.text).includes(a.id));
    assert.match(refusal.body.text, /was not counted: this action was submitted on behalf of alice@example\.com/);
    assert.equal((await stack.call(AUDITOR, 'GET', `/v1/actions/${a.id}`)).body.approvals.length, 0);
  });

  test('a forged signature, a stale or future timestamp or no signature is 401 and changes nothing', async () => {
    const a = await stack.submit(BOT, { action: 'db.export', resource: 'postgres://prod/forged' });
    const post = await requestFor(a.id);
    const payload = buttonClick({ user: 'U0BOB', actionId: 'interlock_approve', value: a.id, channel: post.body.channel, messageTs: tsOf(post) });
    const forged = await deliverToSlackEndpoint(stack.url, SIGNING_SECRET, payload, { secret: 'not-the-signing-secret' });
    assert.equal(forged.status, 401);
    assert.equal(forged.body.error.code, 'unauthorized');
    assert.match(forged.body.error.message, /signature mismatch/);
    assert.deepEqual(forged.body.error.details, []);
    const stale = await deliverToSlackEndpoint(stack.url, SIGNING_SECRET, payload, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    assert.equal(stale.status, 401);
    assert.match(stale.body.error.message, /stale/);
    // Bolt only refuses the past: a request signed "from the future" could otherwise be replayed until that time plus 5 minutes.
    const future = await deliverToSlackEndpoint(stack.url, SIGNING_SECRET, payload, { timestamp: Math.floor(Date.now() / 1000) + 6 * 60 });
    assert.equal(future.status, 401);
    assert.equal(future.body.error.code, 'unauthorized');
    assert.match(future.body.error.message, /in the future/);
    const unsigned = await fetch(`${stack.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: stale.raw });
    assert.equal(unsigned.status, 401);

    // A genuine click afterwards still works: the refusals above were about the requests, not the action.
    assert.equal((await click('U0ALICE', 'interlock_approve', post)).status, 200);
    const after = await stack.until(AUDITOR, a.id, (x) => x.approvals.length === 1);
    assert.deepEqual(after.approvals.map((v: any) => v.principal), ['alice@example.com'], 'only the genuine click counted');
  });

  test('the same click delivered again (a duplicate, or Slack retrying) is one vote and no second message', async () => {
    const a = await stack.submit(BOT, { action: 'db.export', resource: 'postgres://prod/twice' });
    const post = await requestFor(a.id);
    const once = await click('U0BOB', 'interlock_approve', post);
    assert.equal(once.status, 200);
    assert.equal((await deliverRaw(stack.url, SIGNING_SECRET, once.raw)).status, 200);
    assert.equal((await deliverRaw(stack.url, SIGNING_SECRET, once.raw, { retryNum: 1 })).status, 200);
    await stack.until(AUDITOR, a.id, (x) => x.approvals.length === 1);

    // A second, real click by the same person is told plainly; the redeliveries above told nothing.
    assert.equal((await click('U0BOB', 'interlock_approve', post)).status, 200);
    await fake.waitFor('chat.postEphemeral', (c) => c.body.user === 'U0BOB' && String(c.body.text).includes(a.id));
    assert.equal(ephemeralsTo('U0BOB', a.id).length, 1);
    assert.match(ephemeralsTo('U0BOB', a.id)[0].body.text, /already voted/);
    const action = (await stack.call(AUDITOR, 'GET', `/v1/actions/${a.id}`)).body;
    assert.equal(action.approvals.length, 1);
    assert.equal(action.status, 'pending_approval');
  });

  test('Deny asks for a reason in a modal; the submission denies with that reason in the audit trail and tells the person it was for', async () => {
    const a = await stack.submit(BOT, { action: 'db.export', resource: 'postgres://prod/payroll', onBehalfOf: 'bob@example.com' });
    const post = await requestFor(a.id);
    assert.equal((await click('U0ALICE', 'interlock_deny', post)).status, 200);
    const opened = await fake.waitFor('views.open', (c) => String(c.body.view?.private_metadata).includes(a.id));
    assert.match(opened.body.trigger_id, /trigger/);
    assert.equal((await stack.call(AUDITOR, 'GET', `/v1/actions/${a.id}`)).body.status, 'pending_approval', 'opening the form is not a vote');

    const submit = (value: string) => deliverToSlackEndpoint(stack.url, SIGNING_SECRET, modalSubmission({ user: 'U0ALICE', view: opened.body.view, viewId: 'V0DENY1', input: { blockId: 'reason', actionId: 'reason', value } }));
    const empty = await submit('   ');
    assert.equal(empty.status, 200);
    assert.equal(empty.body.response_action, 'errors', 'an empty reason is refused in the form itself');
    const reason = 'payroll is frozen until the quarter closes';
    const sent = await submit(reason);
    assert.equal(sent.status, 200);
    assert.equal(sent.body, '', 'an empty ack closes the modal');

    const denied = await stack.until(AUDITOR, a.id, (x) => x.status === 'denied');
    assert.deepEqual(denied.approvals.map((v: any) => [v.principal, v.decision, v.comment, v.via]), [['alice@example.com', 'deny', reason, 'slack']]);
    const audit = (await stack.call(AUDITOR, 'GET', `/v1/actions/${a.id}/audit`)).body.items;
    const decision = audit.find((e: any) => e.type === 'approval.decision');
    assert.equal(decision.actor, 'alice@example.com');
    assert.equal(decision.data.comment, reason);
    assert.equal(decision.data.via, 'slack');

    const closed = await fake.waitFor('chat.update', (c) => c.body.ts === tsOf(post) && JSON.stringify(c.body.blocks).includes('Denied* by alice@example.com'));
    assert.ok(JSON.stringify(closed.body.blocks).includes(reason));
    assert.ok(!(closed.body.blocks as any[]).some((b) => b.type === 'actions'));
    const dm = await fake.waitFor('chat.postMessage', (c) => c.body.channel === 'U0BOB' && String(c.body.text).includes(a.id));
    assert.match(dm.body.text, /Denied\* by alice@example\.com/);
  });

  test('Approve on a rule that requires justification asks for it first, and the vote carries it', async () => {
    const a = await stack.submit(BOT, { action: 'iam.grant', resource: 'iam://prod/role/admin', justification: 'on-call handover' });
    const post = await requestFor(a.id);
    assert.equal((await click('U0BOB', 'interlock_approve', post)).status, 200);
    const opened = await fake.waitFor('views.open', (c) => String(c.body.view?.private_metadata).includes(a.id));
    assert.equal(opened.body.view.submit.text, 'Approve');
    assert.equal((await stack.call(AUDITOR, 'GET', `/v1/actions/${a.id}`)).body.approvals.length, 0);
    const why = 'handover ticket OPS-42 checked';
    await deliverToSlackEndpoint(stack.url, SIGNING_SECRET, modalSubmission({ user: 'U0BOB', view: opened.body.view, viewId: 'V0GRANT1', input: { blockId: 'reason', actionId: 'reason', value: why } }));
    const approved = await stack.until(AUDITOR, a.id, (x) => x.status === 'approved');
    assert.deepEqual(approved.approvals.map((v: any) => [v.principal, v.comment]), [['bob@example.com', why]]);
  });

  test('an escalation mentions the added group\'s members in the thread and DMs them', async () => {
    const a = await stack.submit(BOT, { action: 'infra.scale', resource: 'k8s://prod/api' });
    const post = await requestFor(a.id);
    assert.equal(post.body.channel, '#infra-approvals');
    const thread = await fake.waitFor('chat.postMessage', (c) => c.body.thread_ts === tsOf(post));
    assert.equal(thread.body.channel, '#infra-approvals');
    assert.match(thread.body.text, /Escalated \(level 1\) to group security-oncall/);
    assert.ok(thread.body.text.includes('<@U0CAROL>') && thread.body.text.includes('<@U0OLGA>'), 'mapped by principals.yaml and by e-mail');
    for (const user of ['U0CAROL', 'U0OLGA']) {
      const dm = await fake.waitFor('chat.postMessage', (c) => c.body.channel === user);
      assert.match(dm.body.text, /escalated to you/);
      assert.ok(dm.body.text.includes('https://example.slack.com/archives/'), 'the DM links to the request');
    }
    const updated = await fake.waitFor('chat.update', (c) => c.body.ts === tsOf(post) && JSON.stringify(c.body.blocks).includes('Escalated (level 1)'));
    assert.ok(JSON.stringify(updated.body.blocks).includes('<@U0CAROL>'));
    assert.equal((await click('U0CAROL', 'interlock_approve', post)).status, 200);
    const approved = await stack.until(AUDITOR, a.id, (x) => x.status === 'approved');
    assert.equal(approved.approvals[0].principal, 'carol@example.com');
    // The message is updated after the workflow records the approval, so wait for it rather than count.
    const closed = await fake.waitFor('chat.update', (c) => c.body.ts === tsOf(post) && JSON.stringify(c.body.blocks).includes('*Approved* by carol@example.com'));
    assert.ok(!(closed.body.blocks as any[]).some((b) => b.type === 'actions'), 'no buttons once closed');
  });
});

function tsOf(post: SlackCall): string {
  const ts = post.response?.ts;
  if (typeof ts === 'string') return ts;
  throw new Error(`the post was not answered with a ts: ${JSON.stringify(post.response)}`);
}

function idIn(post: SlackCall): string {
  const actions = (post.body.blocks as any[]).find((b) => b.type === 'actions');
  return actions.elements[0].value;
}
