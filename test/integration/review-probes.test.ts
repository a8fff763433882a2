import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { awaitSettledUpdate } from '../../workflows/messages';
import { startStack, type TestStack } from '../support/stack';

/**
 * An attacker's probes of the doors, as real requests against a real stack: what one principal can learn of or do
 * to another's action through the console, the Idempotency-Key and the shared `/wait` watch.
 */

const POLICY = `version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - id: probe-export
    when: action == "db.export"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 1}
    risk: high
  - id: probe-read
    when: action == "read.probe"
    decision: allow
  - id: probe-mcp-read
    when: action == "mcp.files.read_file"
    decision: allow
`;

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
  async signIn(token: string) {
    const form = await this.request('GET', '/console/login');
    const res = await this.request('POST', '/console/login', { token, return: '/console', csrf: csrfOf(form.text) });
    assert.equal(res.status, 303, res.text);
  }
}

const csrfOf = (html: string) => html.match(/name="csrf" value="([^"]+)"/)![1];

describe('review probes', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack({ policy: POLICY });
  });
  after(() => stack?.stop());

  const body = { action: 'db.export', resource: 'postgres://prod/customers', environment: 'production', justification: 'probe' };
  const pending = async () => {
    const a = await stack.submit('svc:etl-bot', body);
    return stack.until('svc:etl-bot', a.id, (x) => x.status === 'pending_approval');
  };

  test("a console vote on an action the person may not read learns nothing of it: no status, no approvers", async () => {
    const action = await pending();
    const mallory = new Browser(stack.url);
    await mallory.signIn(stack.tokens['mallory@example.com']);
    const queue = await mallory.request('GET', '/console');
    const res = await mallory.request('POST', `/console/actions/${action.id}/decisions`, { csrf: csrfOf(queue.text), decision: 'approve' });
    const where = res.headers.get('location') ?? '';
    const shown = decodeURIComponent(where) + res.text;
    assert.doesNotMatch(shown, /data-owners|pending_approval|not an approver/, `the answer told mallory about the action: ${res.status} ${shown}`);
    assert.equal(res.status, 404, `${res.status} ${shown}`);
    assert.equal((await stack.call('svc:etl-bot', 'GET', `/v1/actions/${action.id}`)).body.approvals.length, 0);
  });

  test("an Idempotency-Key is one principal's: another using the same key and body gets its own action, and a different body learns no id", async () => {
    const key = `probe-${Date.now()}`;
    const mine = await stack.call('svc:etl-bot', 'POST', '/v1/actions', body, { 'idempotency-key': key });
    assert.equal(mine.status, 202, JSON.stringify(mine.body));
    const theirs = await stack.call('alice@example.com', 'POST', '/v1/actions', body, { 'idempotency-key': key });
    assert.equal(theirs.status, 202, JSON.stringify(theirs.body));
    assert.notEqual(theirs.body.id, mine.body.id);
    assert.equal(theirs.body.requester, 'alice@example.com');
    const other = await stack.call('dave@example.com', 'POST', '/v1/actions', { ...body, justification: 'other' }, { 'idempotency-key': key });
    assert.equal(other.status, 202, JSON.stringify(other.body));
    assert.doesNotMatch(JSON.stringify(other.body), new RegExp(mine.body.id));
    const again = await stack.call('svc:etl-bot', 'POST', '/v1/actions', body, { 'idempotency-key': key });
    assert.equal(again.body.id, mine.body.id);
  });

  test('twenty waiters on one action do not take the Update slots a vote needs', async () => {
    const action = await pending();
    const waits = Array.from({ length: 20 }, (_, i) => stack.call(i % 2 ? 'svc:etl-bot' : 'erin@example.com', 'GET', `/v1/actions/${action.id}/wait?timeout=30`));
    await new Promise((r) => setTimeout(r, 300));
    const vote = await stack.call('alice@example.com', 'POST', `/v1/actions/${action.id}/decisions`, { decision: 'approve' });
    assert.equal(vote.status, 200, JSON.stringify(vote.body));
    const answers = await Promise.all(waits);
    for (const a of answers) assert.equal(a.body.status, 'approved', JSON.stringify(a.body));
    // The grant's token is the requester's only, even though every waiter shares one watch.
    for (const [i, a] of answers.entries()) assert.equal(!!a.body.grant?.token, i % 2 === 1, `waiter ${i}: ${JSON.stringify(a.body.grant)}`);
  });

  // Spends 2,000 Updates on one workflow: on a loaded CI machine Temporal's answer at the limit has once come back
  // in another shape (still a 500 there). Run it on purpose with INTERLOCK_UPDATE_BUDGET_PROBE=1.
  const budgetProbe = process.env.INTERLOCK_UPDATE_BUDGET_PROBE ? {} : { skip: 'set INTERLOCK_UPDATE_BUDGET_PROBE=1: 2,000 Updates, flaky under load' };
  test("once a workflow's Updates are used up, a result is 409 saying why, not 500", budgetProbe, async () => {
    // Temporal takes at most 2000 Updates over a workflow's run. Waiters no longer spend any (the API's watch wakes
    // on the projection's NOTIFY); the budget is spent here directly, with the `awaitSettled` Update old API
    // processes sent, back to back on an approved gate-mode action, to pin the answer once it is spent.
    const a = await stack.submit('svc:etl-bot', { action: 'read.probe', resource: 'db://probe', environment: 'staging' });
    const approved = await stack.until('svc:etl-bot', a.id, (x) => x.status === 'approved');
    const handle = stack.temporal.workflow.getHandle(approved.id);
    let spent = false;
    const lane = async () => {
      for (let i = 0; i < 600 && !spent; i++) {
        const err = await handle.executeUpdate(awaitSettledUpdate, { args: [{ timeoutSeconds: 60 }] }).then(() => null, (e: Error) => e);
        if (err && /distinct updates/.test(`${err.message} ${(err.cause as Error | undefined)?.message}`)) spent = true;
      }
    };
    await Promise.all(Array.from({ length: 8 }, lane));
    assert.ok(spent, 'Temporal refused an Update for the limit');
    const result = await stack.call('svc:etl-bot', 'POST', `/v1/actions/${approved.id}/result`, { status: 'succeeded', output: 'ran' });
    // The caller is told why, and no 500 asks it to retry for ever.
    assert.equal(result.status, 409, JSON.stringify(result.body));
    assert.match(result.body.error.message, /limit of Updates/);
  });

  test('a direct MCP call is recorded only as the tool the policy judged', async () => {
    const call = (mcp: Record<string, unknown>) => ({
      call: { action: 'mcp.files.read_file', resource: 'mcp://files/read_file', environment: 'staging', params: { path: '/srv/a' }, context: { mcp: { annotations: null, client: 'probe', ...mcp } } },
      durationMs: 3,
      isError: false,
    });
    const honest = await stack.call('svc:etl-bot', 'POST', '/v1/mcp/calls', call({ server: 'files', tool: 'read_file' }));
    assert.equal(honest.status, 201, JSON.stringify(honest.body));
    // The rule judged read_file; the trail must not say that drop_table on another server was allowed by it.
    const forged = await stack.call('svc:etl-bot', 'POST', '/v1/mcp/calls', call({ server: 'db', tool: 'drop_table' }));
    assert.equal(forged.status, 422, JSON.stringify(forged.body));
    assert.equal(forged.body.error.details[0].field, 'call.context.mcp');
    const events = (await stack.call('dave@example.com', 'GET', '/v1/audit?type=mcp.call')).body.items;
    assert.deepEqual(events.map((e: any) => [e.data.server, e.data.tool]), [['files', 'read_file']]);
  });
});
