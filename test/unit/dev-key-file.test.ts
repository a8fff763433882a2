import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ensureDevKeyFile } from '../../config';
import { raceProcesses } from '../support/race';

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

test('API processes of one data dir starting at once all sign console sessions with the same secret', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'interlock-session-'));
  // Seen in CI: two APIs started together, one failed with EEXIST on session-secret. Eight race here, each
  // loaded and waiting until all are, then released at once.
  const racer = `import('${path.resolve('console/session.ts')}').then((m) => { process.once('message', () => process.send(m.sessionSecret(undefined, process.argv.at(-1)))); process.send('ready'); })`;
  const secrets = (await raceProcesses(racer, Array.from({ length: 8 }, () => [dir]))).answers;
  const onDisk = readFileSync(path.join(dir, 'session-secret'), 'utf8');
  assert.ok(onDisk.length >= 32);
  assert.ok(secrets.every((s) => s === onDisk), 'every process uses the secret on disk');
  assert.equal(statSync(path.join(dir, 'session-secret')).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir), ['session-secret'], 'no scratch file left behind');
});
