import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startStack, type TestStack } from '../support/stack';

/**
 * The web console over real HTTP, as a browser without JavaScript uses it: sign in by pasting an Interlock token
 * (no people issuer is configured here), the queue, an action's page, a vote with its CSRF token, the auditor's pages.
 */

const POLICY = `version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - id: console-export
    when: action == "db.export"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 1}
    risk: high
  - id: console-drop
    when: action == "db.drop"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 1}
    step_up: {max_age: 5m}
`;

/** A browser's cookie jar for one person, following no redirects so each step can be checked. */
class Browser {
  private cookies = new Map<string, string>();
  constructor(private readonly base: string) {}
  async request(method: string, route: string, form?: Record<string, string>): Promise<{ status: number; text: string; headers: Headers }> {
    const headers: Record<string, string> = { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(this.base + route, { method, headers, body: form ? new URLSearchParams(form).toString() : undefined, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      this.cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
    return { status: res.status, text: await res.text(), headers: res.headers };
  }
  get(route: string) {
    return this.request('GET', route);
  }
  post(route: string, form: Record<string, string>) {
    return this.request('POST', route, form);
  }
  async signIn(token: string) {
    const form = await this.get('/console/login');
    const res = await this.post('/console/login', { token, return: '/console', csrf: csrfOf(form.text) });
    assert.equal(res.status, 303, res.text);
    return res;
  }
}

const csrfOf = (html: string) => html.match(/name="csrf" value="([^"]+)"/)![1];

describe('the web console', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack({ policy: POLICY });
  });
  after(() => stack?.stop());

  const pending = async (body: Record<string, unknown>) => {
    const a = await stack.submit('svc:etl-bot', { resource: 'postgres://prod/customers', environment: 'production', justification: 'monthly close', ...body });
    return stack.until('svc:etl-bot', a.id, (x) => x.status === 'pending_approval');
  };

  test('without a session every page sends the person to sign in; a bad token is refused', async () => {
    const b = new Browser(stack.url);
    const res = await b.get('/console');
    assert.equal(res.status, 303);
    assert.match(res.headers.get('location')!, /^\/console\/login/);
    const login = await b.get('/console/login');
    assert.match(login.text, /<label for="token">Interlock token<\/label>/);
    assert.match(login.headers.get('content-security-policy')!, /default-src 'none'/);
    assert.match(login.headers.get('content-security-policy')!, /script-src 'self'/);
    const bad = await b.post('/console/login', { token: 'ilk_never-issued', return: '/console', csrf: csrfOf(login.text) });
    assert.equal(bad.status, 401);
    assert.match(bad.text, /unknown, revoked or expired/);
    // Login CSRF: a form posted from elsewhere carries no token bound to this browser's sign-in cookie.
    const forged = await new Browser(stack.url).post('/console/login', { token: stack.tokens['alice@example.com'], return: '/console' });
    assert.equal(forged.status, 403);
    assert.ok(!forged.headers.getSetCookie().some((c) => c.startsWith('interlock_session=')), 'no session from a forged sign-in');
  });

  test('an approver sees the pending action, approves it with a comment, and the vote is recorded via console', async () => {
    const action = await pending({ action: 'db.export', params: { table: 'customers', password: 'hunter2' } });
    const alice = new Browser(stack.url);
    const signedIn = await alice.signIn(stack.tokens['alice@example.com']);
    const cookie = signedIn.headers.getSetCookie().find((c) => c.startsWith('interlock_session='))!;
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
    assert.ok(!cookie.includes(stack.tokens['alice@example.com']), 'no token in the cookie');

    const queue = await alice.get('/console');
    assert.equal(queue.status, 200);
    assert.ok(queue.text.includes(`/console/actions/${action.id}`));
    assert.match(queue.text, /svc:etl-bot/);

    const pageRes = await alice.get(`/console/actions/${action.id}`);
    assert.equal(pageRes.status, 200);
    assert.match(pageRes.text, /monthly close/);
    assert.ok(!pageRes.text.includes('hunter2'), 'secret-looking params are redacted');
    assert.match(pageRes.text, /action\.submitted/);
    assert.match(pageRes.text, /value="approve"/);

    const forged = await alice.post(`/console/actions/${action.id}/decisions`, { csrf: 'forged', decision: 'approve' });
    assert.equal(forged.status, 403);
    assert.equal((await stack.call('svc:etl-bot', 'GET', `/v1/actions/${action.id}`)).body.approvals.length, 0, 'a forged form changes nothing');

    const voted = await alice.post(`/console/actions/${action.id}/decisions`, { csrf: csrfOf(pageRes.text), decision: 'approve', comment: 'numbers match' });
    assert.equal(voted.status, 303);
    const after = await stack.until('svc:etl-bot', action.id, (x) => x.status === 'approved');
    assert.equal(after.approvals[0].via, 'console');
    assert.equal(after.approvals[0].comment, 'numbers match');
    const live = JSON.parse((await alice.get(`/console/actions/${action.id}/live`)).text);
    assert.equal(live.status, 'approved');
  });

  test("the requester sees no approve button on its own action, and nobody sees another's action", async () => {
    const action = await pending({ action: 'db.export' });
    const requester = new Browser(stack.url);
    await requester.signIn(stack.tokens['svc:etl-bot']);
    const own = await requester.get(`/console/actions/${action.id}`);
    assert.equal(own.status, 200);
    assert.ok(!own.text.includes('value="approve"'));
    assert.match(own.text, /You asked for this action/);
    const stranger = new Browser(stack.url);
    await stranger.signIn(stack.tokens['mallory@example.com']);
    assert.equal((await stranger.get(`/console/actions/${action.id}`)).status, 404);
    assert.ok(!(await stranger.get('/console')).text.includes(action.id));
    assert.equal((await stranger.get('/console/audit')).status, 403);
  });

  test('on a step-up rule a session without a recent IdP sign-in gets no approve button, and a forced vote is refused', async () => {
    const action = await pending({ action: 'db.drop' });
    const alice = new Browser(stack.url);
    await alice.signIn(stack.tokens['alice@example.com']);
    const res = await alice.get(`/console/actions/${action.id}`);
    assert.ok(!res.text.includes('value="approve"'));
    const forced = await alice.post(`/console/actions/${action.id}/decisions`, { csrf: csrfOf(res.text), decision: 'approve' });
    assert.equal(forced.status, 303);
    assert.match(decodeURIComponent(forced.headers.get('location')!), /Not counted: .*sign-in/);
    assert.equal((await stack.call('svc:etl-bot', 'GET', `/v1/actions/${action.id}`)).body.approvals.length, 0);
  });

  test('an auditor searches the trail, verifies it and downloads the evidence export; a revoked token ends the session', async () => {
    const dave = new Browser(stack.url);
    await dave.signIn(stack.tokens['dave@example.com']);
    const search = await dave.get('/console/audit?type=approval.decision');
    assert.equal(search.status, 200);
    assert.match(search.text, /approval\.decision/);
    const verified = await dave.post('/console/audit/verify', { csrf: csrfOf(search.text) });
    assert.equal(verified.status, 200);
    assert.match(verified.text, /data-verify-result>Verified: \d+ events/);
    const exported = await dave.get('/console/audit/export?format=jsonl');
    assert.equal(exported.status, 200);
    assert.match(exported.headers.get('content-disposition')!, /attachment/);
    assert.ok(exported.text.split('\n').filter(Boolean).every((l) => typeof JSON.parse(l) === 'object'));

    const tokens = (await stack.call('bob@example.com', 'GET', '/v1/tokens')).body.items.filter((t: any) => t.principal === 'dave@example.com' && !t.revokedAt);
    for (const t of tokens) await stack.call('bob@example.com', 'DELETE', `/v1/tokens/${t.id}`);
    assert.equal((await dave.get('/console/audit')).status, 303, 'the session ends with its token');
  });
});
