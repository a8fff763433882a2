import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SlackFake } from '../support/slack-fake';
import { startStack, type TestStack } from '../support/stack';
import { eventually, SLACK_POLICY, SLACK_PRINCIPALS, slackEnv, slackTargets } from '../support/slack-fixtures';

const BOT = 'svc:etl-bot';
const AUDITOR = 'dave@example.com';

describe('Slack failing or unreachable never loses or blocks a decision made over the API', () => {
  let stack: TestStack;
  let fake: SlackFake;
  before(async () => {
    fake = await new SlackFake().start();
    stack = await startStack({ policy: SLACK_POLICY, principals: SLACK_PRINCIPALS, env: slackEnv(fake), targets: slackTargets(fake), slack: true });
  });
  after(async () => {
    await fake?.stop();
    await stack?.stop();
  });

  const approveViaApi = async (id: string) => {
    for (const who of ['bob@example.com', 'alice@example.com']) {
      const res = await stack.call(who, 'POST', `/v1/actions/${id}/decisions`, { decision: 'approve' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
  };

  test('Slack answering errors: the approval goes on and the failure is in the audit trail', async () => {
    fake.fail('chat.postMessage', 'channel_not_found');
    try {
      const a = await stack.submit(BOT, { action: 'db.export', resource: 'postgres://prod/err' });
      await fake.waitFor('chat.postMessage', (c) => JSON.stringify(c.body.blocks ?? []).includes(a.id));
      await approveViaApi(a.id);
      const done = await stack.call(BOT, 'POST', `/v1/actions/${a.id}/result`, { status: 'succeeded', output: 'exported' });
      assert.equal(done.body.status, 'succeeded');

      const audit = async () => (await stack.call(AUDITOR, 'GET', `/v1/actions/${a.id}/audit`)).body.items as any[];
      const failed = await eventually(async () => {
        const events = (await audit()).filter((e) => e.type === 'notification.failed');
        return events.length > 0 ? events : undefined;
      });
      assert.equal(failed.length, 1, 'one event for the one failed post, however often the activity ran');
      assert.equal(failed[0].actor, 'interlock');
      assert.deepEqual({ ...failed[0].data }, { channel: '#data-approvals', error: 'channel_not_found', kind: 'requested', method: 'chat.postMessage' });
      assert.equal(failed[0].id, `${a.id}:slack:requested:0:chat.postMessage:#data-approvals`);
      assert.deepEqual((await audit()).filter((e) => e.type !== 'notification.failed').map((e) => e.type), [
        'action.submitted', 'policy.evaluated', 'approval.requested', 'approval.decision', 'approval.decision', 'action.approved', 'grant.issued', 'execution.succeeded',
      ]);
      assert.equal(fake.callsTo('chat.update').filter((c) => JSON.stringify(c.body).includes(a.id)).length, 0, 'nothing to update: nothing was posted');
    } finally {
      fake.heal();
    }
  });

  test('Slack hanging: votes and the result over the API go through while the notifications time out', async () => {
    fake.hang();
    try {
      const a = await stack.submit(BOT, { action: 'db.export', resource: 'postgres://prod/hang', execute: { type: 'http', url: `${fake.url}/exec` } });
      await fake.waitFor('chat.postMessage', (c) => JSON.stringify(c.body.blocks ?? []).includes(a.id));
      await stack.until(BOT, a.id, (x) => x.status === 'pending_approval');
      const started = Date.now();
      await approveViaApi(a.id);
      const done = await stack.until(BOT, a.id, (x) => x.status === 'succeeded', 15_000);
      assert.equal(done.result.httpStatus, 200);
      assert.ok(Date.now() - started < 10_000, `decided and executed in ${Date.now() - started} ms despite Slack hanging`);
      assert.equal(fake.callsTo('chat.postMessage', (c) => JSON.stringify(c.body.blocks ?? []).includes(a.id) && !!c.response).length, 0, 'Slack never answered');

      // The hung call is abandoned (client timeout) and tried again; once Slack is back the message catches up.
      const isRequest = (c: { body: Record<string, any> }) => !c.body.thread_ts && JSON.stringify(c.body.blocks ?? []).includes(a.id);
      await eventually(async () => (fake.callsTo('chat.postMessage', isRequest).length >= 2 ? true : undefined), 20_000);
      fake.heal();
      const posted = await fake.waitFor('chat.postMessage', (c) => isRequest(c) && c.response?.ok === true, 30_000);
      const final = await fake.waitFor('chat.update', (c) => c.body.ts === posted.response?.ts && JSON.stringify(c.body.blocks).includes('*Result*: succeeded'), 15_000);
      assert.ok(!(final.body.blocks as any[]).some((b) => b.type === 'actions'));
    } finally {
      fake.heal();
    }
  });
});
