import { generateKeyPairSync } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The development Ed25519 key at `file` (PKCS#8 PEM, 0600), made on first use. Several processes of one data
 * dir start at once (`interlock api` beside `interlock worker`), so the key is written to a file of this
 * process's own and linked into place: link fails if another process won, and nobody reads a half-written key.
 */
export function ensureDevKeyFile(file: string): { pem: string; created: boolean } {
  try {
    return { pem: readFileSync(file, 'utf8'), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const scratch = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(scratch, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), { mode: 0o600 });
  let created = true;
  try {
    linkSync(scratch, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    created = false; // another process of this data dir made it first: use theirs
  } finally {
    unlinkSync(scratch);
  }
  return { pem: readFileSync(file, 'utf8'), created };
}
