import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startStack, type TestStack } from '../support/stack';

const bin = path.join(import.meta.dirname, '..', '..', 'bin', 'interlock.js');

function cli(args: string[], env: Record<string, string>, onStderr?: (line: string) => void): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      onStderr?.(String(d));
    });
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

describe('the CLI, as a pipeline uses it', () => {
  let stack: TestStack;
  let env: Record<string, string>;
  before(async () => {
    stack = await startStack();
    env = { INTERLOCK_URL: stack.url, INTERLOCK_TOKEN: stack.tokens['svc:etl-bot'], DATABASE_URL: stack.services.config.databaseUrl ?? '', INTERLOCK_DATA_DIR: stack.services.config.dataDir, INTERLOCK_PRINCIPALS: stack.services.config.principalsFile, INTERLOCK_POLICY: stack.policyFile };
  });
  after(() => stack?.stop());

  test('token create prints a token once; it authenticates as that principal until revoked; an unknown principal fails with one line', async () => {
    const made = await cli(['token', 'create', 'bob@example.com'], env);
    assert.equal(made.code, 0, made.stderr);
    const token = made.stdout.trim();
    assert.match(token, /^ilk_/);
    const res = await fetch(`${stack.url}/v1/actions?limit=1`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    const tokenId = made.stderr.match(/token (tok_[0-9A-Z]+)/)![1];
    const revoked = await cli(['token', 'revoke', tokenId], env);
    assert.equal(revoked.code, 0, revoked.stderr);
    const after = await fetch(`${stack.url}/v1/actions?limit=1`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(after.status, 401);
    assert.notEqual((await cli(['token', 'revoke', tokenId], env)).code, 0, 'a token is revoked once');
    const unknown = await cli(['token', 'create', 'nobody@example.com'], env);
    assert.notEqual(unknown.code, 0);
    assert.equal(unknown.stderr.trim().split('\n').length, 1);
    assert.match(unknown.stderr, /no principal "nobody@example.com"/);
  });

  test('submit --wait shows progress and exits 0 once approved by two people', async () => {
    let id = '';
    const voted = new Promise<void>((resolve) => {
      const onLine = async (line: string) => {
        const m = line.match(/(act_[0-9A-Z]+)\s+pending_approval/);
        if (!m || id) return;
        id = m[1];
        await stack.call('bob@example.com', 'POST', `/v1/actions/${id}/decisions`, { decision: 'approve' });
        await stack.call('erin@example.com', 'POST', `/v1/actions/${id}/decisions`, { decision: 'approve' });
        resolve();
      };
      (globalThis as any).__onLine = onLine;
    });
    const run = cli(['submit', '--action', 'db.export', '--resource', 'postgres://prod/customers', '--env', 'production', '--param', 'table=customers', '--param', 'limit=10', '--justification', 'recon', '--wait'], env, (l) => (globalThis as any).__onLine(l));
    await voted;
    const res = await run;
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`${id} approved`));
    assert.match(res.stderr, /0\/2 approvals from group data-owners/);
    const action = (await stack.call('dave@example.com', 'GET', `/v1/actions/${id}`)).body;
    assert.deepEqual(action.params, { table: 'customers', limit: 10 });
  });

  test('submit --wait exits non-zero when the policy denies', async () => {
    const res = await cli(['submit', '--action', 'nothing.matches', '--resource', 'r', '--wait'], env);
    assert.equal(res.code, 1);
    assert.match(res.stdout, /denied/);
  });

  test('exec runs the command only after approval and reports its exit code as the result', async () => {
    const res = await cli(['exec', '--action', 'read.table', '--resource', 'db://staging/t', '--env', 'staging', '--', process.execPath, '-e', 'process.exit(3)'], env);
    assert.equal(res.code, 3);
    const id = res.stderr.match(/(act_[0-9A-Z]+)/)![1];
    const action = (await stack.call('svc:etl-bot', 'GET', `/v1/actions/${id}`)).body;
    assert.equal(action.status, 'failed');
    assert.equal(action.result.output.exitCode, 3);
    const denied = await cli(['exec', '--action', 'nothing.matches', '--resource', 'r', '--', 'touch', '/tmp/interlock-should-not-exist'], env);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /not running the command/);
  });

  test('bad usage fails with one line and exit 2', async () => {
    const res = await cli(['submit', '--resource', 'r'], env);
    assert.equal(res.code, 2);
    assert.equal(res.stderr.trim(), 'interlock: --action is required');
    const noToken = await cli(['submit', '--action', 'a', '--resource', 'r'], { ...env, INTERLOCK_TOKEN: '' });
    assert.match(noToken.stderr, /INTERLOCK_TOKEN is not set/);
  });
});
