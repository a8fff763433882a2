import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { SEARCH_ATTRIBUTE_NAMES } from '../../workflows/search-attributes';

const root = new URL('../../', import.meta.url);
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8'));
const contractVariables = ['HOST', 'PORT', 'INTERLOCK_DATA_DIR', 'DATABASE_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TASK_QUEUE', 'TEMPORAL_CLI_PATH', 'INTERLOCK_POLICY', 'INTERLOCK_PRINCIPALS', 'INTERLOCK_TARGETS', 'INTERLOCK_PUBLIC_URL', 'INTERLOCK_WEBHOOK_SECRET', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'SLACK_API_URL', 'SLACK_DEFAULT_CHANNEL', 'TEAMS_APP_ID', 'TEAMS_APP_PASSWORD', 'TEAMS_TENANT_ID', 'TEAMS_DEFAULT_CONVERSATION', 'TEAMS_SERVICE_URL', 'TEAMS_OPENID_METADATA_URL', 'TEAMS_TOKEN_URL'];
const ourExtras = ['TEMPORAL_UI_URL'];

test('docker-compose.yml runs Postgres, Temporal and Interlock wired by the contract variables', () => {
  assert.deepEqual(Object.keys(compose.services).sort(), ['interlock', 'postgres', 'temporal']);
  const env = compose.services.interlock.environment;
  for (const name of Object.keys(env)) assert.ok(contractVariables.includes(name) || ourExtras.includes(name), `${name} is a contract variable`);
  assert.equal(env.TEMPORAL_ADDRESS, 'temporal:7233');
  assert.match(env.DATABASE_URL, /^postgres:\/\/.+@postgres:5432\//);
  assert.equal(env.TEMPORAL_TASK_QUEUE, 'interlock');
  assert.equal(compose.services.interlock.depends_on.postgres.condition, 'service_healthy');
});

test('the Temporal service registers every search attribute the workflow upserts', () => {
  const args: string[] = compose.services.temporal.command;
  for (const name of SEARCH_ATTRIBUTE_NAMES) assert.ok(args.includes(`--search-attribute=${name}=Keyword`), name);
});

test('the Dockerfile installs from the lock file and starts with npm start', () => {
  const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
  assert.match(dockerfile, /npm ci/);
  assert.match(dockerfile, /CMD \["npm", "start"\]/);
});
