import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { requestCard } from '../../channels/teams';
import { loadConfig, ConfigError } from '../../config';
import type { Action } from '../../domain/action';
import type { ActionStatus } from '../../domain/status';
import { parsePrincipals, PrincipalsError } from '../../identity';
import { adaptiveCardWarnings } from '../support/teams-fixtures';

const ctx = { actionUrl: (id: string) => `https://interlock.example/v1/actions/${id}`, temporalUrl: (id: string) => `https://temporal.example/${id}` };

function action(overrides: Partial<Action> = {}): Action {
  return {
    id: 'act_01TEST', action: 'db.export', resource: 'postgres://prod/customers', environment: 'production', params: { table: 'customers' }, justification: 'monthly close',
    requester: 'svc:etl-bot', onBehalfOf: 'alice@example.com', context: {}, execute: { type: 'none' }, breakGlass: false, status: 'pending_approval',
    decision: {
      outcome: 'require_approval', ruleId: 'prod-data-export', policyVersion: `sha256:${'a'.repeat(64)}`, approvers: { groups: ['data-owners'], principals: [] },
      quorum: 2, distinctGroups: false, escalationLevel: 1, escalation: [{ afterSeconds: 600, groups: ['security-oncall'], principals: [] }], notify: { teams: '19:x@thread.tacv2' },
      expiresAt: '2030-01-01T00:00:00.000Z', risk: 'high', controls: ['SOC2:CC6.1'], reason: 'r', breakGlass: false, requireJustification: false,
    } as Action['decision'],
    approvals: [{ principal: 'bob@example.com', decision: 'approve', comment: 'ok *really*', at: '2029-12-31T10:00:00.000Z', via: 'teams' }],
    result: null, statusReason: null, grantExpiresAt: null, createdAt: '2029-12-31T09:00:00.000Z', updatedAt: '2029-12-31T10:00:00.000Z',
    ...overrides,
  };
}

const STATUSES: ActionStatus[] = ['evaluating', 'pending_approval', 'approved', 'executing', 'succeeded', 'failed', 'denied', 'expired', 'cancelled'];

describe('the Teams request card', () => {
  test('is an Adaptive Card 1.5 the Adaptive Cards parser reads without a warning, in every status, and has buttons only while pending', () => {
    for (const status of STATUSES) {
      const result = status === 'succeeded' || status === 'failed' ? { status, httpStatus: 200, output: 'x', error: status === 'failed' ? 'boom' : undefined } : null;
      const card = requestCard(action({ status, result: result as Action['result'], statusReason: 'because' }), ctx);
      assert.deepEqual(adaptiveCardWarnings(card), [], status);
      assert.equal(card.actions !== undefined, status === 'pending_approval', `${status}: buttons only while a vote can count`);
    }
    const http = requestCard(action({ execute: { type: 'http', url: 'https://exporter.internal/run', method: 'POST', body: { table: 'customers' } } as Action['execute'] }), ctx);
    assert.deepEqual(adaptiveCardWarnings(http), []);
    assert.ok(JSON.stringify(http).includes('Will send'));
  });

  test('a refusal is shown above the card; a big action stays within Teams\' card size', () => {
    const card = requestCard(action({ params: { rows: 'x'.repeat(100_000) }, justification: 'j'.repeat(10_000), resource: 'r'.repeat(5000) }), ctx, { tone: 'attention', text: 'Your approval was not counted: you requested it' });
    assert.equal((card.body[0] as any).type, 'Container');
    assert.ok(JSON.stringify(card.body[0]).includes('not counted'));
    assert.ok(JSON.stringify(card).length < 28_000, 'Teams refuses cards over about 28 KB');
    assert.deepEqual(adaptiveCardWarnings(card), []);
  });

  test('a rule that needs a justification asks for one on approve, deny always does', () => {
    const card = requestCard(action({ decision: { ...action().decision!, requireJustification: true } }), ctx);
    const [approve, deny] = card.actions as any[];
    assert.equal(approve.type, 'Action.ShowCard');
    assert.deepEqual([approve.card.body[0].id, approve.card.body[0].isRequired, approve.card.actions[0].verb], ['approveReason', true, 'interlock.approve']);
    assert.deepEqual([deny.card.body[0].id, deny.card.actions[0].verb], ['denyReason', 'interlock.deny']);
  });
});

describe('Teams configuration and identities', () => {
  const env = { TEAMS_APP_ID: 'app', TEAMS_APP_PASSWORD: 'secret' };
  test('Teams is off without both credentials, and a half-configured bot does not start', () => {
    assert.equal(loadConfig({}).teams, null);
    assert.throws(() => loadConfig({ TEAMS_APP_ID: 'app' }), (e: unknown) => e instanceof ConfigError && e.variable === 'TEAMS_APP_PASSWORD');
    assert.throws(() => loadConfig({ TEAMS_APP_PASSWORD: 'x' }), (e: unknown) => e instanceof ConfigError && e.variable === 'TEAMS_APP_ID');
    assert.throws(() => loadConfig({ ...env, TEAMS_SERVICE_URL: 'not a url' }), (e: unknown) => e instanceof ConfigError && e.variable === 'TEAMS_SERVICE_URL');
    assert.throws(() => loadConfig({ ...env, TEAMS_OPENID_METADATA_URL: 'https://login.example/keys' }), /openidconfiguration/);
    const teams = loadConfig({ ...env, TEAMS_TENANT_ID: 't', TEAMS_SERVICE_URL: 'https://smba.example/teams/', TEAMS_TOKEN_URL: 'https://login.example/t/oauth2/v2.0/token' }).teams;
    assert.deepEqual(teams, { appId: 'app', appPassword: 'secret', tenantId: 't', defaultConversation: undefined, serviceUrl: 'https://smba.example/teams', openIdMetadataUrl: undefined, tokenUrl: 'https://login.example/t/oauth2/v2.0/token' });
  });

  test('a principal\'s teams: id is an Azure AD object id, in any case, and names one principal', () => {
    const id = '0A0A0A0A-0000-4000-8000-00000000A11C';
    const dir = parsePrincipals(`principals:\n  - {id: "alice@example.com", kind: human, groups: [g], teams: "${id}"}\n`);
    assert.equal(dir.byTeamsId(id.toLowerCase())?.id, 'alice@example.com');
    assert.equal(dir.resolve(id)?.id, 'alice@example.com');
    assert.throws(() => parsePrincipals('principals:\n  - {id: "a@example.com", kind: human, teams: "U0ALICE"}\n'), (e: unknown) => e instanceof PrincipalsError && /principals\.yaml:2: .*"teams".*not an Azure AD object id/.test(e.message));
    assert.throws(
      () => parsePrincipals(`principals:\n  - {id: "a@example.com", kind: human, teams: "${id}"}\n  - {id: "b@example.com", kind: human, teams: "${id.toLowerCase()}"}\n`),
      /both claim Teams \(Azure AD object\) id/,
    );
  });
});

describe('the Teams app package', () => {
  test('the manifest names the bot and two PNG icons of the sizes Teams requires', () => {
    const dir = path.join(import.meta.dirname, '..', '..', 'teams');
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    assert.equal(manifest.bots[0].botId, manifest.id, 'the bot is the app');
    assert.ok(manifest.bots[0].scopes.includes('team'));
    for (const [name, size] of [[manifest.icons.color, 192], [manifest.icons.outline, 32]] as const) {
      const png = readFileSync(path.join(dir, name));
      assert.equal(png.subarray(1, 4).toString('ascii'), 'PNG', name);
      assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [size, size], `${name} is ${size}x${size}`);
    }
  });
});

test('on a step-up rule the card approves in the console (a fresh IdP sign-in), and Deny still votes in the card', () => {
  const withConsole = { ...ctx, consoleUrl: (id: string) => `https://interlock.example/console/actions/${id}` };
  const stepUp = action({ decision: { ...action().decision!, stepUp: { maxAgeSeconds: 300 } } as Action['decision'] });
  const card = requestCard(stepUp, withConsole);
  assert.deepEqual(adaptiveCardWarnings(card), []);
  const [approve, deny] = card.actions as Array<Record<string, unknown>>;
  assert.deepEqual({ type: approve.type, url: approve.url }, { type: 'Action.OpenUrl', url: 'https://interlock.example/console/actions/act_01TEST' });
  assert.ok(JSON.stringify(deny).includes('Action.Execute'), 'deny needs no step-up and stays a card vote');
  assert.equal((requestCard(action(), withConsole).actions as Array<Record<string, unknown>>)[0].type, 'Action.Execute', 'other rules vote in the card');
});
