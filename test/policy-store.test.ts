import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { PolicyError, PolicyStore } from '../policy/index';

const dir = mkdtempSync(path.join(tmpdir(), 'interlock-policy-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const policyText = (decision: string) => `version: 1\ndefaults: {decision: deny, timeout: 1h}\nrules:\n  - {id: reads, when: 'action.startsWith("read.")', decision: ${decision}}\n`;

/** Polls instead of sleeping a fixed time: returns as soon as `ok()` holds, fails after `ms`. */
async function until(ok: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const silentLog = () => {
  const lines: string[] = [];
  const log = (_o: Record<string, unknown>, msg?: string) => void lines.push(msg ?? '');
  return { lines, logger: { info: log, warn: log, error: log } };
};

describe('PolicyStore', () => {
  test('the first load throws PolicyError when the file is broken or missing', async () => {
    const file = path.join(dir, 'broken-first.yaml');
    writeFileSync(file, 'version: 1\nrules: 7\n');
    const store = new PolicyStore({ file });
    await assert.rejects(store.load(), (err) => err instanceof PolicyError && /broken-first\.yaml/.test(err.message));
    assert.equal(store.status().ok, false);
    assert.throws(() => store.current(), /not loaded yet/);
    await assert.rejects(new PolicyStore({ file: path.join(dir, 'absent.yaml') }).load(), /cannot read the policy file \(ENOENT\)/);
  });

  test('hot reload: a change is picked up, a broken file keeps the last good version until fixed', async () => {
    const file = path.join(dir, 'policy.yaml');
    writeFileSync(file, policyText('allow'));
    const registry = new Registry();
    const { lines, logger } = silentLog();
    const store = new PolicyStore({ file, registry, logger, pollMs: 100 });
    const reloads: string[] = [];
    store.on('reload', (version) => reloads.push(version));
    const first = await store.load();
    store.start();
    try {
      const metric = async (name: string) => (await registry.getSingleMetricAsString(name)).split('\n').filter((l) => !l.startsWith('#')).join('\n');
      assert.deepEqual([store.status().ok, store.status().version], [true, first.version]);
      assert.match(await metric('interlock_policy_info'), new RegExp(`version="${first.version}"} 1`));

      writeFileSync(file, policyText('deny'));
      await until(() => store.status().version !== first.version, 'the changed policy');
      const second = store.current();
      assert.equal(second.evaluate({ action: 'read.x', resource: '', environment: '', params: {}, context: {}, requester: { id: 'a', kind: 'human', groups: [] }, onBehalfOf: null }).outcome, 'deny');
      assert.deepEqual(reloads, [first.version, second.version]);

      writeFileSync(file, policyText('allow') + '  - {id: bad, when: "nope == 1", decision: allow}\n');
      await until(() => !store.status().ok, 'the broken file to be rejected');
      const broken = store.status();
      assert.equal(broken.version, second.version, 'the last good version stays in force');
      assert.equal(store.current(), second);
      assert.match(broken.lastError ?? '', /policy\.yaml:5 rule "bad": when: CEL type error: Unknown variable: nope/);
      assert.ok(broken.lastErrorAt);
      assert.match(await metric('interlock_policy_load_ok'), /interlock_policy_load_ok 0/);
      assert.ok(lines.some((l) => /policy rejected, keeping sha256:/.test(l) && /rule "bad"/.test(l)));

      writeFileSync(file, policyText('deny') + '  - {id: rest, when: "true", decision: allow}\n');
      await until(() => store.status().ok, 'the fixed file');
      assert.notEqual(store.status().version, second.version);
      assert.equal(store.status().lastError, null);
      assert.match(await metric('interlock_policy_load_ok'), /interlock_policy_load_ok 1/);
      const counts = await metric('interlock_policy_reload_total');
      assert.match(counts, /result="ok"} 3/);
      assert.match(counts, /result="error"} 1/);
    } finally {
      await store.stop();
    }
  });

  test('reverting a broken file to the last good content makes the store healthy again', async () => {
    const file = path.join(dir, 'revert.yaml');
    writeFileSync(file, policyText('allow'));
    const store = new PolicyStore({ file, pollMs: 100 });
    const good = await store.load();
    store.start();
    try {
      writeFileSync(file, 'version: [\n');
      await until(() => !store.status().ok, 'the broken file to be rejected');
      writeFileSync(file, policyText('allow'));
      await until(() => store.status().ok, 'the reverted file');
      assert.equal(store.status().version, good.version);
    } finally {
      await store.stop();
    }
  });
});
