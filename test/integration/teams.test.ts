import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventually } from '../support/slack-fixtures';
import type { ConnectorCall } from '../support/bot-connector-fake';
import { AAD, adaptiveCardWarnings, DATA_CONVERSATION, DEFAULT_CONVERSATION, INFRA_CONVERSATION, teamsStackForSuite } from '../support/teams-fixtures';
import { cardAction, deliverActivity, TEAMS_APP, type Clicker } from '../support/teams-requests';

const BOT = 'svc:etl-bot';
const AUDITOR = 'dave@example.com';
const VERB = { approve: 'interlock.approve', deny: 'interlock.deny' } as const;

const cardOf = (call: ConnectorCall) => call.body.attachments?.[0]?.content;
const cardText = (call: ConnectorCall) => JSON.stringify(cardOf(call) ?? null);
const responseText = (res: { body: any }) => JSON.stringify(res.body?.value ?? res.body);

describe('Teams: approvers decide from an Adaptive Card, with verified clicks and a card that stays true', () => {
  const suite = teamsStackForSuite();

  const cardFor = (id: string) => suite.connector.waitFor('createActivity', (c) => cardText(c).includes(id));
  const click = async (from: Clicker, verb: string, post: ConnectorCall, data: Record<string, unknown> = {}, claims: Partial<Parameters<typeof suite.issuer.activityToken>[0]> = {}) => {
    const actionId = cardOf(post).actions[0].data?.actionId ?? cardOf(post).actions[0].card.actions[0].data.actionId;
    const activity = cardAction({ from, verb, data: { actionId, ...data }, conversationId: post.conversationId!, cardActivityId: postedIds.get(post) ?? 'card', serviceUrl: suite.connector.url });
    return deliverActivity(suite.stack.url, activity, { issuer: suite.issuer, claims: { serviceUrl: suite.connector.url, ...claims } });
  };
  const updatesOf = (post: ConnectorCall, where: (text: string) => boolean) => suite.connector.waitFor('updateActivity', (c) => c.conversationId === post.conversationId && c.activityId === postedId(post) && where(cardText(c)));
  const postedIds = new Map<ConnectorCall, string>();
  const postedId = (post: ConnectorCall) => postedIds.get(post)!;
  const remember = async (post: ConnectorCall, actionId: string) => {
    const stored = await eventually(() => suite.stack.services.database.db.query.teamsCards.findFirst({ where: (m, { eq }) => eq(m.actionId, actionId) }), 5_000);
    postedIds.set(post, stored.activityId);
    return stored;
  };

  test('a request is posted as an Adaptive Card 1.5 with everything needed to decide, secrets redacted', async () => {
    const { stack, connector, issuer } = suite;
    const a = await stack.submit(BOT, {
      action: 'db.export',
      resource: 'postgres://prod/customers',
      environment: 'production',
      params: { table: 'customers', connection: { host: 'db.internal', password: 'hunter2' }, apiToken: 'xoxp-do-not-show', note: 'x'.repeat(4000) },
      justification: 'monthly revenue reconciliation [click me](https://evil.example)',
      onBehalfOf: 'alice@example.com',
    });
    const post = await cardFor(a.id);
    assert.equal(post.conversationId, DATA_CONVERSATION);
    const card = cardOf(post);
    assert.equal(post.body.attachments[0].contentType, 'application/vnd.microsoft.card.adaptive');
    assert.equal(card.version, '1.5');
    assert.deepEqual(adaptiveCardWarnings(card), [], 'the Adaptive Cards parser has nothing to say about the card');
    const text = cardText(post);
    for (const expected of ['db.export', 'postgres://prod/customers', 'production', BOT, 'alice@example.com', 'teams-data-export', 'high', 'SOC2:CC6.1, ISO27001:A.8.2', '0 of 2', 'monthly revenue reconciliation', 'redacted', 'db.internal', 'group data-owners', 'more characters; see the action', '{{DATE(']) {
      assert.ok(text.includes(expected), `the card shows ${expected}`);
    }
    for (const secret of ['hunter2', 'xoxp-do-not-show']) assert.ok(!text.includes(secret), `the card hides ${secret}`);
    assert.ok(text.includes('\\\\[click me\\\\]'), 'what a requester types cannot become a link');
    assert.ok(text.includes(`/v1/actions/${a.id})`) && text.includes(`/workflows/${a.id})`), 'links to the action and to Temporal UI');
    assert.deepEqual(card.actions.map((x: any) => [x.type, x.verb ?? x.card.actions[0].verb]), [['Action.Execute', VERB.approve], ['Action.ShowCard', VERB.deny]]);
    assert.equal(card.actions[1].card.body[0].type, 'Input.Text', 'deny asks for a reason in the card');
    assert.equal(card.actions[1].card.body[0].isRequired, true);

    const stored = await remember(post, a.id);
    assert.equal(stored.conversationId, DATA_CONVERSATION);
    assert.ok(issuer.tokenRequests.some((r) => r.granted && r.clientId === TEAMS_APP.id && r.scope === 'https://api.botframework.com/.default'), 'the bot token comes from TEAMS_TOKEN_URL by client credentials');
    assert.equal(connector.refusedTokens.length, 0, 'every Bot Connector call carried a token the issuer handed out');

    const other = await stack.submit(BOT, { action: 'iam.grant', resource: 'iam://prod/role/admin', justification: 'break-glass drill' });
    const justified = cardOf(await cardFor(other.id));
    assert.equal(justified.actions[0].type, 'Action.ShowCard', 'a rule that needs a justification asks for it on approve too');
    assert.deepEqual(adaptiveCardWarnings(justified), []);
  });

  test('signed clicks by two approvers approve it; a second click by one counts once; the card is updated in place and loses its buttons', async () => {
    const { stack } = suite;
    const a = await stack.submit(BOT, { action: 'db.export', resource: 'postgres://prod/orders' });
    const post = await cardFor(a.id);
    await remember(post, a.id);
    const bob = { id: '29:bob', aadObjectId: AAD.bob };
    const first = await click(bob, VERB.approve, post);
    assert.equal(first.status, 200);
    assert.equal(first.body.type, 'application/vnd.microsoft.card.adaptive');
    assert.ok(responseText(first).includes('was counted'), 'the clicker sees the vote counted');
    assert.ok(responseText(first).includes('1 of 2'));
    await updatesOf(post, (t) => t.includes('1 of 2') && t.includes('bob@example.com approved') && t.includes('via teams'));

    const again = await click(bob, VERB.approve, post);
    assert.equal(again.status, 200);
    assert.match(responseText(again), /not counted: .*already/i, 'the second click is refused in the card');
    assert.equal((await stack.call(AUDITOR, 'GET', `/v1/actions/${a.id}`)).body.approvals.length, 1);

    // gina has no Teams id in principals.yaml and the activity carries no UPN: the member API gives it.
    const second = await click({ id: '29:gina', aadObjectId: AAD.gina }, VERB.approve, post);
    assert.ok(responseText(second).includes('was counted'), responseText(second));
    const done = await stack.until(BOT, a.id, (x) => x.status === 'approved');
    assert.deepEqual(done.approvals.map((v: any) => [v.principal, v.decision, v.via]), [['bob@example.com', 'approve', 'teams'], ['gina@example.com', 'approve', 'teams']]);
    const closed = await updatesOf(post, (t) => t.includes('**Approved** by bob@example.com, gina@example.com'));
    assert.equal(cardOf(closed).actions, undefined, 'no buttons once closed');
    assert.ok(suite.connector.callsTo('getMember', (c) => c.activityId === undefined).length >= 1, 'the member API was asked who 29:gina is');
  });

  test('an activity whose token is missing, forged, expired, for another bot or for another serviceUrl is 401 and changes nothing', async () => {
    const { stack, connector } = suite;
    const a = await stack.submit(BOT, { action: 'db.export', resource: 'postgres://prod/ledger' });
    const post = await cardFor(a.id);
    await remember(post, a.id);
    const bob = { id: '29:bob', aadObjectId: AAD.bob };
    const activity = cardAction({ from: bob, verb: VERB.approve, data: { actionId: a.id }, conversationId: post.conversationId!, cardActivityId: postedId(post), serviceUrl: connector.url });
    const cases: [string, Parameters<typeof deliverActivity>[2]][] = [
      ['no token', null],
      ['not a bearer token', { header: 'Basic Ym9iOmJvYg==' }],
      ['garbage', { header: 'Bearer not.a.jwt' }],
      ['signed with another key', { issuer: suite.issuer, claims: { serviceUrl: connector.url, foreignKey: true } }],
      ['expired', { issuer: suite.issuer, claims: { serviceUrl: connector.url, expiresIn: -1200 } }],
      ['for another app', { issuer: suite.issuer, claims: { serviceUrl: connector.url, audience: '11111111-2222-3333-4444-555555555555' } }],
      ['from another issuer', { issuer: suite.issuer, claims: { serviceUrl: connector.url, issuer: 'https://sts.windows.net/00000000-0000-0000-0000-000000000000/' } }],
      ['for another serviceUrl', { issuer: suite.issuer, claims: { serviceUrl: 'https://smba.trafficmanager.net/emea/' } }],
    ];
    for (const [what, auth] of cases) {
      const res = await deliverActivity(stack.url, activity, auth);
      assert.equal(res.status, 401, `${what}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error?.code, 'unauthorized', what);
    }
    const notAnActivity = await deliverActivity(stack.url, [1, 2], { issuer: suite.issuer, claims: { serviceUrl: connector.url } });
    assert.equal(notAnActivity.status, 400, 'a signed body that is no activity is a 400 naming it');
    assert.match(notAnActivity.body.error.message, /body/);
    const now = (await stack.call(AUDITOR, 'GET', `/v1/actions/${a.id}`)).body;
    assert.equal(now.status, 'pending_approval');
    assert.equal(now.approvals.length, 0);
    assert.equal(connector.callsTo('updateActivity', (c) => c.activityId === postedId(post)).length, 0, 'the card did not change');
  });

  test('the requester, an unmapped user, and a denial without a reason are refused in the card; a denial with a reason closes it', async () => {
    const { stack } = suite;
    const a = await stack.submit('riley@example.com', { action: 'db.export', resource: 'postgres://prod/leads' });
    const post = await cardFor(a.id);
    await remember(post, a.id);
    const own = await click({ id: '29:riley', aadObjectId: AAD.riley }, VERB.approve, post);
    assert.equal(own.status, 200);
    assert.match(responseText(own), /not counted: .*(requester|own)/i, responseText(own));
    const stranger = await click({ id: '29:nobody', aadObjectId: AAD.nobody }, VERB.approve, post);
    assert.ok(responseText(stranger).includes(`teams: ${AAD.nobody}`), 'the unmapped user learns what to ask for');
    const bob = { id: '29:bob', aadObjectId: AAD.bob };
    const bare = await click(bob, VERB.deny, post);
    assert.match(responseText(bare), /give a reason/);
    assert.equal((await stack.call(AUDITOR, 'GET', `/v1/actions/${a.id}`)).body.approvals.length, 0, 'no refused click counted');

    const denied = await click(bob, VERB.deny, post, { denyReason: 'leads export needs legal sign-off' });
    assert.ok(responseText(denied).includes('was counted'));
    const done = await stack.until(AUDITOR, a.id, (x) => x.status === 'denied');
    assert.deepEqual([done.approvals[0].principal, done.approvals[0].comment, done.approvals[0].via], ['bob@example.com', 'leads export needs legal sign-off', 'teams']);
    const closed = await updatesOf(post, (t) => t.includes('**Denied** by bob@example.com'));
    assert.equal(cardOf(closed).actions, undefined);
  });

  test('an escalation updates the card and tells the added approvers in 1:1 conversations', async () => {
    const { stack, connector } = suite;
    const a = await stack.submit(BOT, { action: 'infra.scale', resource: 'k8s://prod/api' });
    const post = await cardFor(a.id);
    assert.equal(post.conversationId, INFRA_CONVERSATION);
    await remember(post, a.id);
    await updatesOf(post, (t) => t.includes('Escalated (level 1) to group security-oncall'));
    // carol by her teams: id; olga by the roster's e-mail.
    for (const who of [AAD.carol, AAD.olga]) {
      const chat = await connector.waitFor('createConversation', (c) => c.body.members?.[0]?.id === who);
      assert.equal(chat.body.tenantId, '72f988bf-86f1-41af-91ab-2d7cd011db47');
      assert.equal(chat.body.isGroup, false);
    }
    // Each 1:1 message follows its conversation's creation: wait for both before reading them.
    const toPerson = (c: { conversationId?: unknown; body: { text?: unknown } }) => String(c.conversationId).startsWith('a:1on1-') && String(c.body.text).includes(a.id);
    for (let i = 0; i < 200 && connector.callsTo('createActivity', toPerson).length < 2; i++) await new Promise((r) => setTimeout(r, 25));
    const told = connector.callsTo('createActivity', toPerson);
    assert.ok(told.length >= 2 && told.every((c) => /escalated to you \(level 1/.test(c.body.text)), 'each is told, with the tier');
    const res = await click({ id: '29:carol', aadObjectId: AAD.carol }, VERB.approve, post);
    assert.ok(responseText(res).includes('was counted'));
    await stack.until(AUDITOR, a.id, (x) => x.status === 'approved');
    await updatesOf(post, (t) => t.includes('**Approved** by carol@example.com'));
  });

  test('expiry updates the card in the default conversation and tells the person it was for', async () => {
    const { stack, connector } = suite;
    const a = await stack.submit(BOT, { action: 'cache.flush', resource: 'redis://prod', onBehalfOf: 'alice@example.com' });
    const post = await cardFor(a.id);
    assert.equal(post.conversationId, DEFAULT_CONVERSATION, 'a rule without notify.teams posts to TEAMS_DEFAULT_CONVERSATION');
    await remember(post, a.id);
    await stack.until(AUDITOR, a.id, (x) => x.status === 'expired', 20_000);
    const expired = await updatesOf(post, (t) => t.includes('**Expired**'));
    assert.equal(cardOf(expired).actions, undefined, 'no buttons once expired');
    await connector.waitFor('createConversation', (c) => c.body.members?.[0]?.id === AAD.alice);
    const told = await connector.waitFor('createActivity', (c) => String(c.conversationId).startsWith('a:1on1-') && String(c.body.text).includes(a.id) && String(c.body.text).includes('Expired'));
    assert.match(told.body.text, /^Your request/);
  });

  test('Teams refusing the post never blocks the decision: it is audited as notification.failed and the API vote goes through', async () => {
    const { stack, connector } = suite;
    connector.fail(403);
    try {
      const a = await stack.submit(BOT, { action: 'iam.grant', resource: 'iam://prod/role/reader', justification: 'read-only audit' });
      const audit = async () => (await stack.call(AUDITOR, 'GET', `/v1/actions/${a.id}/audit`)).body.items as any[];
      const failed = await eventually(async () => {
        const events = (await audit()).filter((e) => e.type === 'notification.failed');
        return events.length > 0 ? events : undefined;
      });
      assert.equal(failed.length, 1);
      assert.deepEqual({ ...failed[0].data }, { channel: DATA_CONVERSATION, error: 'http_403 ServiceError', kind: 'requested', method: 'createActivity' });
      assert.equal(failed[0].id, `${a.id}:teams:requested:0:createActivity:${DATA_CONVERSATION}`);
      const vote = await stack.call('bob@example.com', 'POST', `/v1/actions/${a.id}/decisions`, { decision: 'approve', comment: 'reader is fine' });
      assert.equal(vote.status, 200, JSON.stringify(vote.body));
      await stack.until(AUDITOR, a.id, (x) => x.status === 'approved');
    } finally {
      connector.heal();
    }
  });
});
