import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createToken } from '../../identity';
import { runCli } from '../support/cli';
import { startStack, type TestStack } from '../support/stack';

/**
 * Tokens are administered while the stack runs: admins list, create (with an expiry) and revoke them over the API,
 * operators do the same with the CLI; a revoked or expired token is refused at once on every route, and every change
 * of credentials or configuration is an audit event.
 */

const cli = runCli;
const ADMIN = 'bob@example.com';
const AUDITOR = 'dave@example.com';

// Routes a token's holder could reach; a revoked token must get 401 on each.
const ROUTES: [string, string, unknown?][] = [
  ['GET', '/v1/actions'],
  ['POST', '/v1/actions', { action: 'read.orders', resource: 'postgres://staging/orders', environment: 'staging' }],
  ['GET', '/v1/actions/act_01JD0000000000000000000000'],
  ['POST', '/v1/policy/evaluate', { action: 'read.orders', resource: 'postgres://staging/orders', environment: 'staging' }],
  ['GET', '/v1/audit'],
  ['GET', '/v1/audit/verify'],
  ['GET', '/v1/tokens'],
  ['POST', '/v1/grants/redeem', { grant: 'x.y.z', params: {} }],
];

describe('token lifecycle and configuration audit', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack?.stop());

  const events = async (type: string) => (await stack.call(AUDITOR, 'GET', `/v1/audit?type=${type}&limit=1000`)).body.items as any[];

  test('an admin creates a token with an expiry, sees it listed without its secret, and revokes it: it is refused on every route at once', async () => {
    const made = await stack.call(ADMIN, 'POST', '/v1/tokens', { principal: 'svc:etl-bot', expires: '30d', label: 'incident drill' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.match(made.body.token, /^ilk_/);
    const days = (Date.parse(made.body.expiresAt) - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days <= 30, `expires in ${days} days`);
    assert.equal(made.body.createdBy, ADMIN);
    assert.equal((await stack.call(made.body.token, 'GET', '/v1/actions')).status, 200);

    const listed = await stack.call(ADMIN, 'GET', '/v1/tokens');
    assert.equal(listed.status, 200);
    const row = listed.body.items.find((t: any) => t.id === made.body.id);
    assert.equal(row.principal, 'svc:etl-bot');
    assert.ok(row.lastUsedAt, 'last used is recorded');
    assert.equal(row.token, undefined);
    assert.ok(!JSON.stringify(listed.body).includes(made.body.token));

    const revoked = await stack.call(ADMIN, 'DELETE', `/v1/tokens/${made.body.id}`);
    assert.equal(revoked.status, 200);
    assert.ok(revoked.body.revokedAt);
    for (const [method, route, body] of ROUTES) {
      const res = await stack.call(made.body.token, method, route, body);
      assert.equal(res.status, 401, `${method} ${route} with a revoked token: ${res.status}`);
    }
    assert.equal((await stack.call(ADMIN, 'DELETE', `/v1/tokens/${made.body.id}`)).status, 409);
    assert.equal((await stack.call(ADMIN, 'DELETE', '/v1/tokens/tok_nosuchtoken')).status, 404);

    const created = (await events('token.created')).find((e) => e.data.tokenId === made.body.id);
    assert.equal(created.actor, ADMIN);
    assert.equal(created.data.expiresAt, made.body.expiresAt);
    const gone = (await events('token.revoked')).filter((e) => e.data.tokenId === made.body.id);
    assert.equal(gone.length, 1);
    assert.equal(gone[0].actor, ADMIN);
    const trail = JSON.stringify((await stack.call(AUDITOR, 'GET', '/v1/audit?limit=1000')).body);
    assert.ok(!trail.includes(made.body.token), 'no secret in the trail');
  });

  test('only admins manage tokens; a bad expiry or an unknown principal is 422 naming the field and creates nothing', async () => {
    for (const who of ['alice@example.com', AUDITOR, 'svc:etl-bot']) {
      assert.equal((await stack.call(who, 'GET', '/v1/tokens')).status, 403);
      assert.equal((await stack.call(who, 'POST', '/v1/tokens', { principal: 'svc:etl-bot' })).status, 403);
      assert.equal((await stack.call(who, 'DELETE', '/v1/tokens/tok_x')).status, 403);
    }
    const before = (await stack.call(ADMIN, 'GET', '/v1/tokens')).body.items.length;
    const badExpiry = await stack.call(ADMIN, 'POST', '/v1/tokens', { principal: 'svc:etl-bot', expires: 'soon' });
    assert.equal(badExpiry.status, 422);
    assert.equal(badExpiry.body.error.details[0].field, 'expires');
    const unknown = await stack.call(ADMIN, 'POST', '/v1/tokens', { principal: 'nobody@example.com' });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.error.code, 'unknown_principal');
    assert.equal((await stack.call(ADMIN, 'POST', '/v1/tokens', { principal: 'svc:etl-bot', colour: 'blue' })).status, 400);
    assert.equal((await stack.call(ADMIN, 'GET', '/v1/tokens')).body.items.length, before);
  });

  test('a token past its expiry is refused', async () => {
    const { token } = await createToken(stack.services.database.db, 'svc:etl-bot', { expiresAt: new Date(Date.now() - 1000) });
    const res = await stack.call(token, 'GET', '/v1/actions');
    assert.equal(res.status, 401);
  });

  test('the CLI lists, creates with --expires and revokes, and both changes are audited', async () => {
    const env = { DATABASE_URL: stack.services.config.databaseUrl ?? '', INTERLOCK_DATA_DIR: stack.services.config.dataDir, INTERLOCK_PRINCIPALS: stack.services.config.principalsFile, INTERLOCK_POLICY: stack.policyFile };
    const made = await cli(['token', 'create', 'svc:etl-bot', '--expires', '12h'], env);
    assert.equal(made.code, 0, made.stderr);
    const id = made.stderr.match(/token (tok_[0-9A-Z]+)/)![1];
    assert.match(made.stderr, /expires 20\d\d-/);
    const list = await cli(['token', 'list'], env);
    assert.equal(list.code, 0, list.stderr);
    const line = list.stdout.split('\n').find((l) => l.startsWith(id))!;
    assert.match(line, /svc:etl-bot/);
    assert.ok(!list.stdout.includes(made.stdout.trim()));
    const bad = await cli(['token', 'create', 'svc:etl-bot', '--expires', 'forever'], env);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--expires "forever" is not a duration/);
    const revoked = await cli(['token', 'revoke', id], env);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal((await stack.call(made.stdout.trim(), 'GET', '/v1/actions')).status, 401);
    assert.equal((await events('token.created')).filter((e) => e.data.tokenId === id && e.actor === 'cli').length, 1);
    assert.equal((await events('token.revoked')).filter((e) => e.data.tokenId === id && e.actor === 'cli').length, 1);
  });

  test('reloads of policy and principals are audited once each, with the old and new version', async () => {
    const oldPolicy = stack.services.policy.status().version;
    writeFileSync(stack.policyFile, `${readFileSync(stack.policyFile, 'utf8')}\n# edited by the test\n`);
    const principalsFile = stack.services.config.principalsFile;
    const oldPrincipals = stack.services.principals.version;
    writeFileSync(principalsFile, `${readFileSync(principalsFile, 'utf8')}  - {id: "zed@example.com", kind: human, groups: []}\n`);
    const deadline = Date.now() + 15_000;
    let reloads: any[] = [];
    while (Date.now() < deadline) {
      reloads = await events('config.reloaded');
      if (reloads.some((e) => e.data.kind === 'policy') && reloads.some((e) => e.data.kind === 'principals')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const policy = reloads.filter((e) => e.data.kind === 'policy');
    assert.equal(policy.length, 1, JSON.stringify(reloads));
    assert.equal(policy[0].data.oldVersion, oldPolicy);
    assert.equal(policy[0].data.newVersion, stack.services.policy.status().version);
    assert.equal(policy[0].data.file, stack.policyFile);
    const principals = reloads.filter((e) => e.data.kind === 'principals');
    assert.equal(principals.length, 1);
    assert.equal(principals[0].data.oldVersion, oldPrincipals);
    assert.match(principals[0].data.newVersion, /^sha256:/);
  });
});
