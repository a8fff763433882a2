import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SlackFake } from '../support/slack-fake';
import { eventually, slackEnv, SIGNING_SECRET } from '../support/slack-fixtures';
import { buttonClick, deliverToSlackEndpoint } from '../support/slack-requests';
import { AAD, DATA_CONVERSATION, teamsStackForSuite } from '../support/teams-fixtures';
import { cardAction, deliverActivity } from '../support/teams-requests';

const BOT = 'svc:etl-bot';
const AUDITOR = 'dave@example.com';

describe('Slack and Teams together: one action posted to both, a vote in either shows in both', () => {
  const slack = { fake: undefined as unknown as SlackFake };
  before(async () => {
    slack.fake = await new SlackFake().start();
  });
  // The Slack stand-in's URL is known only once it listens, so the stack reads the env lazily through a getter.
  const suite = teamsStackForSuite({ slack: true, get env() { return slackEnv(slack.fake); } });
  after(async () => {
    await slack.fake?.stop();
  });

  test('a Teams vote updates the Slack message and a Slack vote updates the Teams card', async () => {
    const { stack, connector } = suite;
    const a = await stack.submit(BOT, { action: 'deploy.release', resource: 'k8s://prod/web', justification: 'release 4.2' });
    const slackPost = await slack.fake.waitFor('chat.postMessage', (c) => !c.body.thread_ts && JSON.stringify(c.body.blocks ?? []).includes(a.id));
    assert.equal(slackPost.body.channel, '#releases');
    const card = await connector.waitFor('createActivity', (c) => JSON.stringify(c.body.attachments ?? []).includes(a.id));
    assert.equal(card.conversationId, DATA_CONVERSATION);
    // The reference is stored right after the Bot Connector answers the post: wait for it rather than race it.
    const stored = await eventually(() => stack.services.database.db.query.teamsCards.findFirst({ where: (m, { eq }) => eq(m.actionId, a.id) }), 5_000);

    const teamsVote = await deliverActivity(
      stack.url,
      cardAction({ from: { id: '29:bob', aadObjectId: AAD.bob }, verb: 'interlock.approve', data: { actionId: a.id }, conversationId: DATA_CONVERSATION, cardActivityId: stored.activityId, serviceUrl: connector.url }),
      { issuer: suite.issuer, claims: { serviceUrl: connector.url } },
    );
    assert.equal(teamsVote.status, 200);
    await slack.fake.waitFor('chat.update', (c) => c.body.ts === slackPost.response?.ts && JSON.stringify(c.body.blocks).includes('bob@example.com approved') && JSON.stringify(c.body.blocks).includes('via teams'));
    await connector.waitFor('updateActivity', (c) => c.activityId === stored.activityId && JSON.stringify(c.body).includes('bob@example.com approved'));

    const slackVote = await deliverToSlackEndpoint(stack.url, SIGNING_SECRET, buttonClick({ user: 'U0GINA', actionId: 'interlock_approve', value: a.id, channel: '#releases', messageTs: String(slackPost.response?.ts) }));
    assert.equal(slackVote.status, 200);
    const done = await stack.until(AUDITOR, a.id, (x) => x.status === 'approved');
    assert.deepEqual(done.approvals.map((v: any) => [v.principal, v.via]), [['bob@example.com', 'teams'], ['gina@example.com', 'slack']]);
    const closed = await connector.waitFor('updateActivity', (c) => c.activityId === stored.activityId && JSON.stringify(c.body).includes('gina@example.com approved') && JSON.stringify(c.body).includes('via slack'));
    assert.equal(closed.body.attachments[0].content.actions, undefined, 'the Teams card loses its buttons');
    const slackClosed = await slack.fake.waitFor('chat.update', (c) => c.body.ts === slackPost.response?.ts && JSON.stringify(c.body.blocks).includes('Approved* by bob@example.com, gina@example.com'));
    assert.ok(!(slackClosed.body.blocks as any[]).some((b) => b.type === 'actions'), 'so does the Slack message');
  });

  test('Teams failing for a moment is retried without telling Slack twice', async () => {
    const { stack, connector } = suite;
    const a = await stack.submit(BOT, { action: 'infra.restart', resource: 'k8s://prod/api' });
    const slackPost = await slack.fake.waitFor('chat.postMessage', (c) => !c.body.thread_ts && JSON.stringify(c.body.blocks ?? []).includes(a.id));
    await connector.waitFor('createActivity', (c) => JSON.stringify(c.body.attachments ?? []).includes(a.id));
    // The escalation's card update fails once (503): the notification is retried for Teams alone.
    connector.failNext(503, 1);
    const refreshed = await connector.waitFor('updateActivity', (c) => c.status === 200 && JSON.stringify(c.body).includes(a.id) && JSON.stringify(c.body).includes('Escalated (level 1)'));
    assert.ok(connector.callsTo('updateActivity', (c) => c.status === 503).length >= 1, 'the first try met the outage');
    assert.ok(refreshed);
    await stack.until(AUDITOR, a.id, (x) => x.decision.escalationLevel === 1);
    const threads = slack.fake.callsTo('chat.postMessage', (c) => c.body.thread_ts === slackPost.response?.ts);
    assert.equal(threads.length, 1, 'Slack got the escalation thread reply once');
    const audit = (await stack.call(AUDITOR, 'GET', `/v1/actions/${a.id}/audit`)).body.items as any[];
    assert.equal(audit.filter((e) => e.type === 'notification.failed').length, 0, 'a failure that a retry mended is not recorded');
  });
});
