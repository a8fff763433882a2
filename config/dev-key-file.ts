import { generateKeyPairSync } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The contents of `file` (0600), made by `make` on first use. Several processes of one data dir start at once
 * (`interlock api` beside `interlock worker`, two APIs), so the contents are written to a file of this process's
 * own and linked into place: link fails if another process won, and nobody reads a half-written file.
 */
export function ensurePrivateFile(file: string, make: () => string): { contents: string; created: boolean } {
  try {
    return { contents: readFileSync(file, 'utf8'), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const scratch = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(scratch, make(), { mode: 0o600 });
  let created = true;
  try {
    linkSync(scratch, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    created = false; // another process of this data dir made it first: use theirs
  } finally {
    unlinkSync(scratch);
  }
  return { contents: readFileSync(file, 'utf8'), created };
}

/** The development Ed25519 key at `file` (PKCS#8 PEM, 0600), made on first use by one process of the data dir. */
export function ensureDevKeyFile(file: string): { pem: string; created: boolean } {
  const { contents, created } = ensurePrivateFile(file, () => generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
  return { pem: contents, created };
}
