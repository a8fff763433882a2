import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { policyCommand } from '../cli';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/policy/${name}`, import.meta.url));

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await policyCommand(argv, { out: (s) => out.push(s), err: (s) => err.push(s), env });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('interlock policy', () => {
  test('check accepts a valid file and prints its version', async () => {
    const r = await run(['check', fixture('valid.yaml')]);
    assert.equal(r.code, 0);
    assert.match(r.out, /^ok: 5 rules, version sha256:[0-9a-f]{64}$/);
  });

  test('check prints every problem as file:line and exits 1', async () => {
    const file = fixture('broken.yaml');
    const r = await run(['check', file]);
    assert.equal(r.code, 1);
    for (const line of [7, 10, 15, 16, 19, 26]) assert.ok(r.err.includes(`${file}:${line} rule "`), `missing ${file}:${line} in\n${r.err}`);
  });

  test('check reads INTERLOCK_POLICY when no file is given', async () => {
    assert.equal((await run(['check'], { INTERLOCK_POLICY: fixture('valid.yaml') })).code, 0);
    const missing = await run(['check'], { INTERLOCK_POLICY: fixture('nope.yaml') });
    assert.equal(missing.code, 1);
    assert.match(missing.err, /cannot read policy file .*nope\.yaml \(ENOENT\)/);
  });

  test('test passes on the example and fails with diffs on a failing file', async () => {
    const ok = await run(['test', fixture('valid.yaml')]);
    assert.deepEqual([ok.code, ok.out], [0, '4 passed, 0 failed']);
    const bad = await run(['test', fixture('failing-tests.yaml')]);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /FAIL .*failing-tests\.yaml:17 rule "prod-data-export" test 2: expected require_approval \(rule prod-data-export\), got allow \(rule read-only\)/);
    assert.match(bad.out, /1 passed, 2 failed$/);
  });

  test('test on a broken file exits 1 with the problems', async () => {
    const r = await run(['test', fixture('broken.yaml')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /6 problem\(s\)/);
  });

  test('an unknown subcommand or option is a one-line usage error, exit 2', async () => {
    const r = await run(['lint']);
    assert.equal(r.code, 2);
    assert.equal(r.err.split('\n').length, 1);
    assert.match(r.err, /unknown policy command "lint"/);
    assert.equal((await run([])).code, 2);
    assert.equal((await run(['replay', fixture('valid.yaml'), '--since', 'last tuesday'])).code, 2);
    assert.equal((await run(['replay', fixture('valid.yaml'), '--bogus', '1'])).code, 2);
  });
});
