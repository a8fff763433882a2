import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode } from '../../core';
import { httpExecutor } from '../../executors';
import { parseAllowList } from '../../network';
import { parseTargets } from '../../targets';

const config = { httpAllowPrivate: parseAllowList(undefined) };
const targets = parseTargets('targets:\n  hooks: {type: http, url: "https://example.com/"}\n');
const check = (body: unknown) => httpExecutor.check({ type: 'http', url: 'https://example.com/hook', body }, { config, targets });

// The body is sent as is, so a secret in it cannot be redacted the way params are: it is refused before anything is stored.
describe('a secret-looking key anywhere in execute.body refuses the submission', () => {
  test('each one, at any depth, is a credential_in_request naming its path', () => {
    const problems = check({ user: 'svc', password: 'hunter2', db: { connection_string: 'postgres://u:p@h/db' }, rows: [{ name: 'a' }, { api_key: 'k' }] });
    assert.deepEqual(problems.map((p) => [p.code, p.field]), [
      [ErrorCode.credentialInRequest, 'execute.body.password'],
      [ErrorCode.credentialInRequest, 'execute.body.db.connection_string'],
      [ErrorCode.credentialInRequest, 'execute.body.rows.1.api_key'],
    ]);
    for (const p of problems) {
      assert.match(p.message, /credentials belong in server-side configuration, not in the request/);
      assert.ok(!p.message.includes('hunter2'), 'the message does not repeat the value');
    }
  });

  test('a body without one, or no body, passes', () => {
    assert.deepEqual(check({ user: 'svc', max_tokens: 100, tokenizer: 'bpe', note: 'password reset requested' }), []);
    assert.deepEqual(check(undefined), []);
    assert.deepEqual(check(['token', 1]), []);
  });
});
