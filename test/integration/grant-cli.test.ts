import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../support/cli';
import { startStack, type TestStack } from '../support/stack';


const POLICY = `version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - id: reads
    when: action == "read.table"
    decision: allow
    grant: 10m
  - id: quick-reads
    when: action == "read.quick"
    decision: allow
    grant: 1s
`;

const cli = runCli;

describe('grants from the command line', () => {
  let stack: TestStack;
  let env: Record<string, string>;
  const BOT = 'svc:etl-bot';
  before(async () => {
    stack = await startStack({ policy: POLICY });
    env = { INTERLOCK_URL: stack.url, INTERLOCK_TOKEN: stack.tokens[BOT] };
  });
  after(() => stack?.stop());

  const approvedToken = async (action: string, params: Record<string, unknown>) => {
    const a = await stack.submit(BOT, { action, resource: 'db://staging/t', environment: 'staging', params });
    return (await stack.until(BOT, a.id, (x) => x.status === 'approved' && x.grant?.token)) as { id: string; grant: { token: string } };
  };

  test('exec redeems the grant with its params before the command runs, then reports the exit code and the output tail', async () => {
    const script = 'console.log("exported " + "x".repeat(5000)); console.error("warned"); process.exit(0)';
    const res = await cli(['exec', '--action', 'read.table', '--resource', 'db://staging/t', '--env', 'staging', '--param', 'table=t', '--param', 'api_key=sk-live-1', '--', process.execPath, '-e', script], env);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /exported x{5000}/, 'the command\'s output still reaches the terminal');
    assert.match(res.stderr, /grant redeemed; running:/);
    const id = res.stderr.match(/(act_[0-9A-Z]+)/)![1];
    const action = (await stack.call(BOT, 'GET', `/v1/actions/${id}`)).body;
    assert.equal(action.status, 'succeeded');
    assert.ok(action.grant.redeemedAt);
    assert.equal(action.result.output.exitCode, 0);
    assert.equal(Buffer.byteLength(action.result.output.stdout), 4096, 'the stdout tail is bounded');
    assert.match(action.result.output.stdout, /x+\n$/);
    assert.equal(action.result.output.stderr, 'warned\n');
    const types = (await stack.call('dave@example.com', 'GET', `/v1/actions/${id}/audit`)).body.items.map((e: any) => e.type);
    assert.deepEqual(types.slice(types.indexOf('grant.issued')), ['grant.issued', 'grant.redeemed', 'execution.started', 'execution.succeeded']);
  });

  test('grant verify prints the claims of a good grant and exits 0', async () => {
    const a = await approvedToken('read.table', { table: 't' });
    const res = await cli(['grant', 'verify', a.grant.token, '--param', 'table=t', '--issuer', stack.services.config.publicUrl], env);
    assert.equal(res.code, 0, res.stderr);
    const claims = JSON.parse(res.stdout);
    assert.equal(claims.sub, a.id);
    assert.equal(claims.act, 'read.table');
    assert.match(res.stderr, new RegExp(`grant valid: action ${a.id}`));
  });

  test('grant verify exits 1 with one line for a grant that is altered, for other params, from another issuer, or expired', async () => {
    const a = await approvedToken('read.table', { table: 't' });
    const [h, p, s] = a.grant.token.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const altered = `${h}.${Buffer.from(JSON.stringify({ ...claims, act: 'db.drop' })).toString('base64url')}.${s}`;
    const cases: [string[], RegExp][] = [
      [[altered], /^interlock: grant_invalid: .*signature/],
      [[a.grant.token, '--param', 'table=other'], /^interlock: grant_params_mismatch: /],
      [[a.grant.token, '--issuer', 'https://elsewhere.example.com'], /^interlock: grant_invalid: .*iss/],
    ];
    const quick = await approvedToken('read.quick', {});
    await stack.until(BOT, quick.id, (x) => /grant window closed/.test(x.statusReason ?? ''), 10_000);
    cases.push([[quick.grant.token], /^interlock: grant_expired: the grant expired at /]);
    for (const [args, line] of cases) {
      const res = await cli(['grant', 'verify', ...args], env);
      assert.equal(res.code, 1, `${args.slice(1).join(' ')}: ${res.stderr}`);
      assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
      assert.match(res.stderr.trim(), line);
      assert.equal(res.stdout, '');
    }
    const unreachable = await cli(['grant', 'verify', a.grant.token], { ...env, INTERLOCK_URL: 'http://127.0.0.1:9' });
    assert.equal(unreachable.code, 2);
    assert.match(unreachable.stderr, /^interlock: cannot fetch http:\/\/127\.0\.0\.1:9\/\.well-known\/jwks\.json/);
  });
});
