import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { calculateJwkThumbprint } from 'jose';
import { ConfigError } from '../../config';
import { GrantKeys } from '../../grants';

const ed25519 = () => generateKeyPairSync('ed25519').privateKey;
const pem = (k = ed25519()) => k.export({ format: 'pem', type: 'pkcs8' }).toString();
const publicPem = (k: ReturnType<typeof ed25519>) => createPublicKey(k).export({ format: 'pem', type: 'spki' }).toString();

describe('INTERLOCK_GRANT_SIGNING_KEY', () => {
  test('one key signs and is published; its kid is the RFC 7638 thumbprint', async () => {
    const keys = GrantKeys.fromPem(pem(), 'INTERLOCK_GRANT_SIGNING_KEY');
    const [jwk] = keys.jwks().keys;
    assert.equal(keys.jwks().keys.length, 1);
    assert.equal(keys.signing.kid, jwk.kid);
    assert.equal(jwk.kid, await calculateJwkThumbprint(jwk));
    assert.deepEqual(Object.keys(jwk).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x'], 'no private member is published');
  });

  test('after a rotation: the first block signs, older ones (private or public) stay published; one-line PEM with \\n works', () => {
    const old1 = ed25519();
    const old2 = ed25519();
    const fresh = ed25519();
    const keys = GrantKeys.fromPem([pem(fresh), pem(old1), publicPem(old2)].join('\n').replace(/\n/g, '\\n'), 'INTERLOCK_GRANT_SIGNING_KEY');
    const kids = keys.jwks().keys.map((k) => k.kid);
    assert.equal(kids.length, 3);
    assert.equal(kids[0], keys.signing.kid);
    assert.equal(keys.signing.kid, GrantKeys.fromPem(pem(fresh), 'x').signing.kid);
    assert.equal(GrantKeys.fromPem([pem(fresh), pem(fresh)].join('\n'), 'x').jwks().keys.length, 1, 'a key given twice is published once');
  });

  test('a value that cannot sign grants stops start-up naming the variable', () => {
    const refuses = (text: string, why: RegExp) => assert.throws(() => GrantKeys.fromPem(text, 'INTERLOCK_GRANT_SIGNING_KEY'), (err: unknown) => err instanceof ConfigError && err.variable === 'INTERLOCK_GRANT_SIGNING_KEY' && why.test(err.message));
    refuses('not a key', /holds no PEM key/);
    refuses(publicPem(ed25519()), /first PEM block must be the private key/);
    refuses(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), /is a ec key; grants are signed with Ed25519/);
    refuses('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----', /PEM block 1 is not a readable key/);
  });
});
