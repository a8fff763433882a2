import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, ensureDevKeyFile } from '../../config';

/** The key `npm start` generates under the data dir when INTERLOCK_AUDIT_SIGNING_KEY is unset. */
const DEV_SIGNING_KEY_FILE = 'audit-signing-key.pem';

// DER prefixes that wrap a raw 32-byte Ed25519 seed or public key (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface CheckpointSigner {
  privateKey: KeyObject;
  keyId: string;
}

/** INTERLOCK_AUDIT_SIGNING_KEY: a PKCS#8 PEM, or base64 of PKCS#8 DER or of the raw 32-byte seed. */
export function parseSigningKey(text: string, variable = 'INTERLOCK_AUDIT_SIGNING_KEY'): CheckpointSigner {
  const trimmed = text.trim();
  let key: KeyObject;
  try {
    if (trimmed.startsWith('-----BEGIN')) key = createPrivateKey(trimmed);
    else {
      const der = Buffer.from(trimmed, 'base64');
      key = createPrivateKey({ key: der.length === 32 ? Buffer.concat([PKCS8_ED25519_PREFIX, der]) : der, format: 'der', type: 'pkcs8' });
    }
  } catch (err) {
    throw new ConfigError(variable, `is not a readable private key (${(err as Error).message}); give an Ed25519 PKCS#8 PEM, e.g. from \`openssl genpkey -algorithm ed25519\``);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ConfigError(variable, `is a ${key.asymmetricKeyType} key; audit checkpoints are signed with Ed25519`);
  return { privateKey: key, keyId: keyIdOf(createPublicKey(key)) };
}

/** INTERLOCK_AUDIT_PUBLIC_KEY: an SPKI PEM, or base64 of SPKI DER or of the raw 32-byte key. */
function parsePublicKey(text: string, variable = 'INTERLOCK_AUDIT_PUBLIC_KEY'): KeyObject {
  const trimmed = text.trim();
  let key: KeyObject;
  try {
    if (trimmed.startsWith('-----BEGIN')) key = createPublicKey(trimmed);
    else {
      const der = Buffer.from(trimmed, 'base64');
      key = createPublicKey({ key: der.length === 32 ? Buffer.concat([SPKI_ED25519_PREFIX, der]) : der, format: 'der', type: 'spki' });
    }
  } catch (err) {
    throw new ConfigError(variable, `is not a readable public key (${(err as Error).message}); \`npx interlock audit public-key\` prints the right one`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ConfigError(variable, `is a ${key.asymmetricKeyType} key; audit checkpoints are signed with Ed25519`);
  return key;
}

/** A short, stable name for a public key: the start of the SHA-256 of its SPKI encoding. */
function keyIdOf(publicKey: KeyObject): string {
  return `ed25519:${createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 16)}`;
}

export function publicKeyPem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'spki' }).toString();
}

/** First start only: a fresh key in a 0600 file. Returns the file and whether it was created now. */
export function ensureDevSigningKey(dataDir: string): { file: string; created: boolean } {
  const file = path.join(dataDir, DEV_SIGNING_KEY_FILE);
  return { file, created: ensureDevKeyFile(file).created };
}

export interface AuditKeys {
  signer: CheckpointSigner | null;
  /** The keys checkpoints are verified with, by key id. */
  verifiers: Map<string, KeyObject>;
  /** Where the keys came from, for a person reading the output. */
  source: string;
}

/**
 * The configured keys: INTERLOCK_AUDIT_PUBLIC_KEY when set (an auditor pins it), otherwise the public half
 * of INTERLOCK_AUDIT_SIGNING_KEY, otherwise of the development key `npm start` generated in the data dir.
 */
export function auditKeys(config: { auditSigningKey?: string; auditPublicKey?: string; dataDir: string }): AuditKeys {
  let signer: CheckpointSigner | null = null;
  let source = 'none';
  if (config.auditSigningKey) {
    signer = parseSigningKey(config.auditSigningKey);
    source = 'INTERLOCK_AUDIT_SIGNING_KEY';
  } else {
    const devFile = path.join(config.dataDir, DEV_SIGNING_KEY_FILE);
    if (existsSync(devFile)) {
      signer = parseSigningKey(readFileSync(devFile, 'utf8'), devFile);
      source = `development key ${devFile}`;
    }
  }
  const verifiers = new Map<string, KeyObject>();
  if (config.auditPublicKey) {
    const key = parsePublicKey(config.auditPublicKey);
    verifiers.set(keyIdOf(key), key);
    source = 'INTERLOCK_AUDIT_PUBLIC_KEY';
  } else if (signer) {
    const key = createPublicKey(signer.privateKey);
    verifiers.set(signer.keyId, key);
  }
  return { signer, verifiers, source };
}
