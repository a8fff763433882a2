import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ensureDevKeyFile } from '../../config';

test('processes of one data dir starting at once all end up with the same development key', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'interlock-devkey-'));
  const file = path.join(dir, 'keys', 'signing-key.pem');
  // Eight processes race to make the key; each prints the key it then uses.
  const racer = `import('${path.resolve('config/dev-key-file.ts')}').then((m) => process.send(m.ensureDevKeyFile(process.argv.at(-1))))`;
  const results = await Promise.all(
    Array.from({ length: 8 }, () => {
      const child = fork('-e', [racer, file], { execArgv: ['--import', 'tsx', '--input-type=module'] });
      return new Promise<{ pem: string; created: boolean }>((resolve, reject) => {
        child.once('message', (m) => resolve(m as { pem: string; created: boolean }));
        child.once('error', reject);
      });
    }),
  );
  const onDisk = readFileSync(file, 'utf8');
  assert.ok(results.every((r) => r.pem === onDisk), 'every process uses the key on disk');
  assert.equal(results.filter((r) => r.created).length, 1, 'exactly one process made it');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(path.dirname(file)), ['signing-key.pem'], 'no scratch file left behind');
  assert.equal(ensureDevKeyFile(file).created, false);
});
