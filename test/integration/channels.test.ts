import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ActionChange } from '../../activities';
import { ChannelDeliveryError, type Channel } from '../../channels';
import { SlackFake } from '../support/slack-fake';
import { eventually, SLACK_PRINCIPALS, slackEnv } from '../support/slack-fixtures';
import { startStack, type TestStack } from '../support/stack';

const BOT = 'svc:etl-bot';
const AUDITOR = 'dave@example.com';

/** Every channel the policy's `notify` can name: Slack, plus two a test controls (neither is Slack-specific). */
const POLICY = `version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - id: notify-routed
    when: action == "db.export"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 1}
    notify: {slack: "#notify-approvals", pager: "ops-bridge", flaky: "night-shift"}
`;

/** A channel that cannot reach its target for the `routed` request: that one fails for good. */
class RefusingChannel implements Channel {
  readonly name = 'pager';
  async deliver(change: ActionChange): Promise<ChannelDeliveryError[]> {
    if (change.kind !== 'requested' || !change.action.resource.endsWith('/routed')) return [];
    const target = change.action.decision?.notify?.[this.name] ?? '(none)';
    throw new ChannelDeliveryError(this.name, 'page', target, 'no_such_bridge', false);
  }
}

/** A channel whose service is down for the `down` request: every attempt fails in a way worth retrying. */
class DownChannel implements Channel {
  readonly name = 'flaky';
  attempts = 0;
  async deliver(change: ActionChange): Promise<ChannelDeliveryError[]> {
    if (change.kind !== 'requested' || !change.action.resource.endsWith('/down')) return [];
    this.attempts++;
    throw new ChannelDeliveryError(this.name, 'send', change.action.decision?.notify?.[this.name] ?? '(none)', 'service_unavailable', true);
  }
}

describe('channels: the policy routes a request to each named channel; failures are recorded by the core, once', () => {
  let stack: TestStack;
  let fake: SlackFake;
  const pager = new RefusingChannel();
  const flaky = new DownChannel();
  before(async () => {
    fake = await new SlackFake().start();
    stack = await startStack({ policy: POLICY, principals: SLACK_PRINCIPALS, env: slackEnv(fake), slack: true, channels: [pager, flaky] });
  });
  after(async () => {
    await stack?.stop();
    await fake?.stop();
  });

  const failedCount = async (channel: string) => {
    const metric = await stack.services.metrics.notificationsFailed.get();
    return metric.values.find((v) => v.labels.channel === channel)?.value ?? 0;
  };

  test('notify routes to Slack and the other channels; a permanent failure is one notification.failed, counted once, nothing else affected', async () => {
    const a = await stack.submit(BOT, { action: 'db.export', resource: 'postgres://prod/routed' });
    const pending = await stack.until(BOT, a.id, (x) => x.status === 'pending_approval');
    assert.deepEqual(pending.decision.notify, { slack: '#notify-approvals', pager: 'ops-bridge', flaky: 'night-shift' });
    const post = await fake.waitFor('chat.postMessage', (c) => !c.body.thread_ts && JSON.stringify(c.body.blocks ?? []).includes(a.id));
    assert.equal(post.body.channel, '#notify-approvals', 'the request goes to the channel notify names for slack');

    const audit = async () => (await stack.call(AUDITOR, 'GET', `/v1/actions/${a.id}/audit`)).body.items as any[];
    const failed = await eventually(async () => {
      const events = (await audit()).filter((e) => e.type === 'notification.failed' && e.id.includes(':pager:'));
      return events.length > 0 ? events : undefined;
    });
    assert.equal(failed.length, 1);
    assert.equal(failed[0].id, `${a.id}:pager:requested:0:page:ops-bridge`, 'the id names the channel, so a retry writes it once');
    assert.equal(failed[0].actor, 'interlock');
    assert.deepEqual({ ...failed[0].data }, { channel: 'ops-bridge', error: 'no_such_bridge', kind: 'requested', method: 'page' });
    assert.equal(await failedCount('pager'), 1, 'the failure is counted under the channel\'s name');

    // The other channels and the action itself go on: an approval over the API closes it, and Slack is told.
    const vote = await stack.call('alice@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve' });
    assert.equal(vote.status, 200, JSON.stringify(vote.body));
    assert.equal(vote.body.approvals[0].via, 'api');
    await fake.waitFor('chat.update', (c) => c.body.ts === post.response?.ts && JSON.stringify(c.body.blocks).includes('*Approved*'));
    assert.equal((await audit()).filter((e) => e.type === 'notification.failed' && e.id.includes(':slack:')).length, 0, 'Slack itself did not fail');
  });

  test('a channel down on every try: retried a bounded number of times, then recorded once and counted once', async () => {
    const a = await stack.submit(BOT, { action: 'db.export', resource: 'postgres://prod/down' });
    const audit = async () => (await stack.call(AUDITOR, 'GET', `/v1/actions/${a.id}/audit`)).body.items as any[];
    const failed = await eventually(async () => {
      const events = (await audit()).filter((e) => e.type === 'notification.failed' && e.id.includes(':flaky:'));
      return events.length > 0 ? events : undefined;
    }, 30_000);
    assert.equal(failed.length, 1);
    assert.deepEqual({ ...failed[0].data }, { channel: 'night-shift', error: 'service_unavailable', kind: 'requested', method: 'send' });
    assert.equal(flaky.attempts, 4, 'the notification activity gives up after 4 attempts');
    assert.equal(await failedCount('flaky'), 1, 'only the last attempt counts: the earlier ones were retried');
  });
});
