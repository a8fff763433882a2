import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import path from 'node:path';
import { ConfigError, ensureDevKeyFile } from '../config';

/** The key a deployment without INTERLOCK_GRANT_SIGNING_KEY signs with: generated once under the data dir. */
export const DEV_GRANT_KEY_FILE = 'grant-signing-key.pem';

const VARIABLE = 'INTERLOCK_GRANT_SIGNING_KEY';
const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g;

/** A public key as `/.well-known/jwks.json` publishes it (RFC 8037 OKP). */
export interface GrantJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

/**
 * The keys grants are signed and checked with: the first configured key signs, every configured key (the
 * signing one and those kept from before a rotation) is published, so a grant signed before a rotation still
 * verifies until it expires. `persistent`: the key belongs to the deployment (configured or in the data dir),
 * so a change of the signing key is worth recording; an in-memory key (route tests) is not.
 */
export class GrantKeys {
  private constructor(
    readonly signing: { kid: string; privateKey: KeyObject },
    readonly published: readonly GrantJwk[],
    readonly source: string,
    readonly persistent: boolean,
  ) {}

  /** INTERLOCK_GRANT_SIGNING_KEY when set (one or more PEM blocks), else the development key under the data dir (created 0600 on first use). */
  static load(config: { grantSigningKey?: string; dataDir: string }): GrantKeys {
    if (config.grantSigningKey) return GrantKeys.fromPem(config.grantSigningKey, VARIABLE);
    const file = path.join(config.dataDir, DEV_GRANT_KEY_FILE);
    return GrantKeys.fromPem(ensureDevKeyFile(file).pem, file);
  }

  /** A key that lives only in this process: for tests of the HTTP layer alone. */
  static ephemeral(): GrantKeys {
    const privateKey = generateKeyPairSync('ed25519').privateKey;
    const jwk = jwkOf(createPublicKey(privateKey));
    return new GrantKeys({ kid: jwk.kid, privateKey }, [jwk], 'in-memory key', false);
  }

  /** One or more PEM blocks: the first a private key (it signs), the others private or public keys (still published). */
  static fromPem(text: string, source: string): GrantKeys {
    // Environment files often carry a PEM on one line with literal \n.
    const blocks = text.replace(/\\n/g, '\n').match(PEM_BLOCK) ?? [];
    if (blocks.length === 0) throw new ConfigError(source, 'holds no PEM key; give an Ed25519 private key, e.g. from `openssl genpkey -algorithm ed25519`');
    const keys = blocks.map((block, i) => readBlock(block, i, source));
    const first = keys[0];
    if (!first.privateKey) throw new ConfigError(source, 'the first PEM block must be the private key grants are signed with; public keys of earlier keys go after it');
    const published = new Map<string, GrantJwk>();
    for (const k of keys) published.set(k.jwk.kid, k.jwk);
    return new GrantKeys({ kid: first.jwk.kid, privateKey: first.privateKey }, [...published.values()], source, true);
  }

  /** The public JWK Set, signing key first. */
  jwks(): { keys: GrantJwk[] } {
    return { keys: this.published.map((k) => ({ ...k })) };
  }
}

function readBlock(block: string, index: number, source: string): { jwk: GrantJwk; privateKey: KeyObject | null } {
  const isPrivate = /-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(block);
  let key: KeyObject;
  try {
    key = isPrivate ? createPrivateKey(block) : createPublicKey(block);
  } catch (err) {
    throw new ConfigError(source, `PEM block ${index + 1} is not a readable key (${(err as Error).message}); give Ed25519 keys in PKCS#8 (private) or SPKI (public) PEM`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ConfigError(source, `PEM block ${index + 1} is a ${key.asymmetricKeyType} key; grants are signed with Ed25519 (EdDSA)`);
  return { jwk: jwkOf(isPrivate ? createPublicKey(key) : key), privateKey: isPrivate ? key : null };
}

function jwkOf(publicKey: KeyObject): GrantJwk {
  const { x } = publicKey.export({ format: 'jwk' }) as { x: string };
  return { kty: 'OKP', crv: 'Ed25519', x, kid: thumbprint(x), alg: 'EdDSA', use: 'sig' };
}

/** RFC 7638: SHA-256 over the required members of the JWK, in lexicographic order, without spaces. */
export function thumbprint(x: string): string {
  return createHash('sha256').update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x })).digest('base64url');
}
