import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSecretKey, redactSecretParams } from '../../domain';

describe('params keys that look like secrets', () => {
  test('match as a whole word of the key, in snake, kebab, dotted, camel and upper case', () => {
    const secret = ['password', 'PASSWORD', 'db_password', 'dbPassword', 'DB-PASSWORD', 'password2', 'secret', 'client_secret', 'clientSecret', 'token', 'apiToken', 'x-auth-token',
      'api_key', 'apiKey', 'APIKey', 'api-key', 'ApiKey', 'apikey', 'APIKEY', 'private_key', 'privateKey', 'ssh.private.key', 'credential', 'aws_credentials', 'Credentials', 'passwd', 'authorization', 'authHeader', 'basic_auth'];
    for (const key of secret) assert.equal(isSecretKey(key), true, key);
  });

  test('do not match a word that merely contains one', () => {
    const kept = ['tokenizer', 'secretary', 'passwordless_flow', 'keyspace', 'primary_key', 's3_key', 'key', 'api', 'max_tokens', 'author', 'table', 'privateer', 'credentialing', 'bypass'];
    for (const key of kept) assert.equal(isSecretKey(key), false, key);
  });

  test('values are replaced at any depth, through arrays of objects; everything else is kept', () => {
    const params = { db_password: 'hunter2', nested: { apiKey: 'k', port: 5432, deeper: [{ token: 't', name: 'n' }, 'plain', [{ client_secret: { a: 1 } }]] }, tokenizer: 'bpe', list: [1, null, true] };
    assert.deepEqual(redactSecretParams(params), {
      db_password: '[redacted]',
      nested: { apiKey: '[redacted]', port: 5432, deeper: [{ token: '[redacted]', name: 'n' }, 'plain', [{ client_secret: '[redacted]' }]] },
      tokenizer: 'bpe',
      list: [1, null, true],
    });
    assert.equal(params.db_password, 'hunter2', 'the input is not changed');
  });
});
