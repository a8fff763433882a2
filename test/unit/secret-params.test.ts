import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSecretKey, redactSecretParams, secretKeyPaths } from '../../domain';

describe('params keys that look like secrets', () => {
  test('match as a whole word of the key, in snake, kebab, dotted, camel and upper case', () => {
    const secret = ['password', 'PASSWORD', 'db_password', 'dbPassword', 'DB-PASSWORD', 'password2', 'secret', 'client_secret', 'clientSecret', 'token', 'apiToken', 'x-auth-token',
      'api_key', 'apiKey', 'APIKey', 'api-key', 'ApiKey', 'apikey', 'APIKEY', 'private_key', 'privateKey', 'ssh.private.key', 'credential', 'aws_credentials', 'Credentials', 'passwd', 'authorization', 'authHeader', 'basic_auth', 'auth', 'Auth', 'proxy-authorization', 'auth_code', 'authorization_header', 'auth.value'];
    for (const key of secret) assert.equal(isSecretKey(key), true, key);
  });

  test('do not match a word that merely contains one', () => {
    const kept = ['tokenizer', 'secretary', 'passwordless_flow', 'keyspace', 'primary_key', 's3_key', 'key', 'api', 'max_tokens', 'author', 'table', 'privateer', 'credentialing', 'bypass', 'auth_role', 'authRole', 'auth_scope', 'auth_method', 'authorization_level', 'oauth_provider'];
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

describe('the credential spellings a review found unredacted', () => {
  // Single words (pwd, passphrase and the run-together pairs) and adjacent pairs of words that only together name a secret.
  for (const key of ['privatekey', 'passphrase', 'pwd', 'access_key', 'ssh_key', 'signing_key', 'SECRETKEY', 'secret_key', 'client_secret', 'connection_string', 'refresh_tokens', 'access_tokens',
    'PrivateKey', 'db_pwd', 'gpgPassphrase', 'accesskey', 'signingkey', 'awsAccessKey', 'AWS_SECRET_ACCESS_KEY', 'sshKey', 'signingKey', 'SECRET-KEY', 'connectionString', 'refresh_token', 'accessToken', 'ACCESS_TOKENS', 'clientSecret']) {
    test(`${key} is a secret key`, () => assert.equal(isSecretKey(key), true));
  }
  for (const key of ['tokenizer', 'secretary', 'max_tokens', 'primary_key', 'keyboard', 'access_level', 'connection_timeout', 'refresh_interval', 'signing_algorithm', 'ssh_port', 'client_id', 'key_id']) {
    test(`${key} is not a secret key`, () => assert.equal(isSecretKey(key), false));
  }
});

describe('the paths of secret-looking keys, for what is sent as is and so refused rather than redacted', () => {
  test('every path at any depth, through arrays; none for plain values', () => {
    assert.deepEqual(secretKeyPaths({ user: 'u', password: 'p', nested: { rows: [{ name: 'n' }, { access_token: 't' }] }, tokenizer: 'bpe' }), ['password', 'nested.rows.1.access_token']);
    assert.deepEqual(secretKeyPaths([{ pwd: 1 }]), ['0.pwd']);
    for (const plain of [undefined, null, 'password', 42, [1, 'token'], { max_tokens: 3, list: [] }]) assert.deepEqual(secretKeyPaths(plain), [], JSON.stringify(plain));
  });
});
