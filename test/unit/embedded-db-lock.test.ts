import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { raceProcesses } from '../support/race';

test('processes opening one embedded database at once: exactly one opens it, the others are told who holds it', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'interlock-pglite-lock-'));
  // Each racer loads the module, says ready, opens on 'go', answers, and holds the database until 'close'.
  const racer = `import('${path.resolve('db/client.ts')}').then((m) => {
    let db = null;
    process.on('message', async (msg) => {
      if (msg === 'go') {
        try { db = await m.openDatabase({ dataDir: process.argv.at(-1) }); process.send('opened'); }
        catch (err) { process.send(err.name + ': ' + err.message); }
      } else { await db?.close(); process.exit(0); }
    });
    process.send('ready');
  })`;
  const { children, answers } = await raceProcesses(racer, Array.from({ length: 4 }, () => [dataDir]));
  const results = answers as string[];
  const exited = children.map((child) => new Promise((resolve) => child.once('exit', resolve)));
  for (const child of children) child.send('close');
  await Promise.all(exited);
  assert.equal(results.filter((r) => r === 'opened').length, 1, results.join('\n'));
  for (const r of results.filter((r) => r !== 'opened')) assert.match(r, /^DatabaseInUseError: the embedded database .* is in use by process \d+/);
  assert.deepEqual(readdirSync(dataDir).sort(), ['pglite'], 'the lock and every scratch file are gone once closed');
});
