import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../config';

const root = new URL('../../', import.meta.url);
const read = (f: string) => readFileSync(new URL(f, root), 'utf8');
const compose = parse(read('docker-compose.yml'), { merge: true });
const dockerfile = read('Dockerfile');
const services = compose.services as Record<string, any>;

/** Every environment variable the code reads: `env.NAME`, `process.env.NAME`, and config's `helper(env, 'NAME')`. */
function variablesTheCodeReads(): Set<string> {
  const found = new Set<string>();
  const skip = new Set(['node_modules', 'test', 'bench', 'docs', 'deploy', '.data', '.tools', '.git', 'dist']);
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = path.join(dir, f);
      if (statSync(p).isDirectory()) {
        if (!skip.has(f)) walk(p);
      } else if (f.endsWith('.ts')) {
        const text = readFileSync(p, 'utf8');
        for (const m of text.matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)) found.add(m[1]);
        for (const m of text.matchAll(/\(env, '([A-Z][A-Z0-9_]+)'/g)) found.add(m[1]);
      }
    }
  };
  walk(new URL('.', root).pathname);
  return found;
}

const read_ = variablesTheCodeReads();
const interlock = ['api', 'worker'];

test('compose runs Postgres, Temporal persisted in it, Temporal UI, the setup job, and api and worker as separate services', () => {
  assert.deepEqual(Object.keys(services).sort(), ['api', 'postgres', 'temporal', 'temporal-setup', 'temporal-ui', 'worker']);
  const t = services.temporal;
  assert.match(t.image, /^temporalio\/auto-setup:/);
  assert.equal(t.environment.DB, 'postgres12');
  assert.equal(t.environment.POSTGRES_SEEDS, 'postgres');
  assert.equal(t.depends_on.postgres.condition, 'service_healthy');
  assert.match(services['temporal-ui'].image, /^temporalio\/ui:/);
  assert.equal(services['temporal-ui'].environment.TEMPORAL_ADDRESS, 'temporal:7233');
});

test('every variable compose sets for Interlock is one the code reads, and the wiring is the one the code expects', () => {
  assert.ok(read_.has('TEMPORAL_ADDRESS') && read_.has('INTERLOCK_TARGETS'), 'the scan finds config variables');
  const defaults = loadConfig({});
  for (const name of [...interlock, 'temporal-setup']) {
    const env = services[name].environment as Record<string, string>;
    for (const v of Object.keys(env)) assert.ok(read_.has(v), `${name}: ${v} is read by the code`);
    assert.equal(env.TEMPORAL_ADDRESS, 'temporal:7233', name);
    assert.doesNotThrow(() => loadConfig(env), `${name}: its environment is a valid configuration`);
  }
  for (const name of interlock) {
    const env = services[name].environment as Record<string, string>;
    const config = loadConfig(env);
    assert.match(config.databaseUrl!, /^postgres:\/\/[^@]+@postgres:5432\//, name);
    assert.equal(config.taskQueue, defaults.taskQueue, `${name}: the contract's task queue`);
    for (const file of ['INTERLOCK_POLICY', 'INTERLOCK_PRINCIPALS', 'INTERLOCK_TARGETS']) {
      assert.ok(services[name].volumes.some((v: string) => v.endsWith(`:${env[file]}:ro`)), `${name}: ${file} is mounted`);
    }
  }
});

test('commands, ports and health checks match the CLI and the routes', () => {
  const cli = read('cli/index.ts');
  const api = services.api;
  assert.deepEqual(api.command, ['api']);
  const port = loadConfig(api.environment).port;
  assert.ok(api.ports.includes(`${port}:${port}`));
  assert.match(api.healthcheck.test.join(' '), new RegExp(`127\\.0\\.0\\.1:${port}/readyz`));
  assert.match(read('api/routes/health.ts'), /'\/readyz'/);

  const worker = services.worker;
  assert.equal(worker.command[0], 'worker');
  assert.equal(worker.command[1], '--metrics-port');
  const metricsPort = worker.command[2];
  assert.match(read('cli/processes.ts'), /'metrics-port'/);
  assert.ok(worker.expose.includes(metricsPort));
  assert.equal(worker.ports, undefined, 'no host port, so the worker scales');
  assert.match(worker.healthcheck.test.join(' '), new RegExp(`127\\.0\\.0\\.1:${metricsPort}/healthz`));
  assert.match(read('processes/metrics-endpoint.ts'), /'\/healthz'/);

  const setup = services['temporal-setup'];
  assert.deepEqual(setup.command, ['temporal', 'setup']);
  assert.match(cli, /case 'temporal':/);
  assert.equal(setup.depends_on.temporal.condition, 'service_healthy');
  for (const name of interlock) assert.equal(services[name].depends_on['temporal-setup'].condition, 'service_completed_successfully', name);
  for (const name of ['postgres', 'temporal', 'temporal-ui', ...interlock]) assert.equal(services[name].restart, 'unless-stopped', name);
  for (const name of ['postgres', 'temporal', ...interlock]) assert.ok(services[name].healthcheck?.test, `${name} has a health check`);
});

test('the Dockerfile is multi-stage, runs as a non-root user, with a prebuilt workflow bundle and the CLI as entrypoint', () => {
  assert.ok((dockerfile.match(/^FROM /gm) ?? []).length >= 2, 'multi-stage');
  assert.match(dockerfile, /npm ci/);
  const bundle = /scripts\/build-workflow-bundle\.ts (\S+)/.exec(dockerfile)?.[1];
  assert.ok(bundle, 'the bundle is built at image build time');
  assert.match(dockerfile, new RegExp(`INTERLOCK_WORKFLOW_BUNDLE=${bundle.replace(/[.]/g, '\\.')}`));
  assert.ok(read_.has('INTERLOCK_WORKFLOW_BUNDLE'));
  const user = /^USER (\S+)/m.exec(dockerfile)?.[1];
  assert.ok(user && user !== 'root' && user !== '0', 'non-root');
  assert.match(dockerfile, /ENTRYPOINT \["node", "bin\/interlock\.js"\]/);
  const exposed = /^EXPOSE (.+)$/m.exec(dockerfile)![1].split(/\s+/);
  assert.ok(exposed.includes(String(loadConfig(services.api.environment).port)) && exposed.includes(services.worker.command[2]));
});
