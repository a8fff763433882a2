import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { auditEvents, openDatabase, type Database } from '../db/index';
import { compilePolicy, formatReplayReport, type PolicyInput, replayPolicy } from '../policy/index';
import { canonicalJson, eventBody } from '../audit/index';

const recordedPolicy = compilePolicy(`version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - {id: read-only, when: 'action.startsWith("read.")', decision: allow}
  - id: prod-data-export
    when: action == "db.export" && environment == "production"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 2}
`);

const candidate = compilePolicy(`version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - {id: read-only, when: 'action.startsWith("read.") && environment != "production"', decision: allow}
  - {id: no-night-exports, when: 'action == "db.export" && now.getHours("UTC") < 6', decision: deny}
  - id: prod-data-export
    when: action == "db.export" && environment == "production"
    decision: require_approval
    approvers: {groups: [data-owners], principals: [cfo@example.com], quorum: 1}
`);

const dir = mkdtempSync(path.join(tmpdir(), 'interlock-policy-replay-'));
let database: Database;
const since = new Date('2026-03-01T00:00:00Z');
const until = new Date('2026-03-10T00:00:00Z');

/** Seeds the trail the way the workflow writes it: a submission, then (usually) its policy decision. */
async function seed() {
  let seq = 0;
  const row = (actionId: string, type: string, at: string, data: Record<string, unknown>) => {
    seq++;
    const event = { seq, id: `evt_${seq}`, actionId, type, actor: 'svc:etl-bot', at, policyVersion: recordedPolicy.version };
    return { seq, canonical: JSON.parse(eventBody(event, canonicalJson(data))), prevHash: `h${seq - 1}` };
  };
  const rows: (typeof auditEvents.$inferInsert)[] = [];
  const submit = (id: string, at: string, action: string, environment: string, decide = true) => {
    const submission = { action, resource: 'postgres://prod/customers', environment, params: {}, justification: 'why', onBehalfOf: null, context: {}, execute: { type: 'none' }, breakGlass: false };
    const requester = { id: 'svc:etl-bot', kind: 'service', groups: ['pipelines'] };
    rows.push(row(id, 'action.submitted', at, { submission, requester }));
    const input: PolicyInput = { ...submission, requester, now: new Date(at) };
    if (decide) rows.push(row(id, 'policy.evaluated', at, { decision: recordedPolicy.evaluate(input) }));
    rows.push(row(id, 'approval.requested', at, {}));
  };
  submit('act_before', '2026-02-20T12:00:00Z', 'read.rows', 'production'); // before `since`: not considered
  for (const i of [1, 2, 3]) submit(`act_read_staging_${i}`, `2026-03-02T1${i}:00:00Z`, 'read.rows', 'staging'); // unchanged
  for (const i of [1, 2]) submit(`act_read_prod_${i}`, `2026-03-03T1${i}:00:00Z`, 'read.rows', 'production'); // allow -> deny
  for (const i of [1, 2, 3]) submit(`act_export_${i}`, `2026-03-04T1${i}:00:00Z`, 'db.export', 'production'); // quorum and approvers
  submit('act_export_night', '2026-03-05T03:00:00Z', 'db.export', 'production'); // `now` is the recorded time: night rule
  submit('act_deploy', '2026-03-06T12:00:00Z', 'k8s.deploy', 'production'); // deny -> deny
  submit('act_undecided', '2026-03-07T12:00:00Z', 'db.export', 'production', false); // no decision recorded: skipped
  submit('act_after', '2026-03-11T12:00:00Z', 'read.rows', 'production'); // after `until`: not considered
  await database.db.insert(auditEvents).values(rows);
}

before(async () => {
  database = await openDatabase({ dataDir: dir });
  await database.migrate();
  await seed();
});
after(async () => {
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('replayPolicy', () => {
  test('reports exactly which recorded decisions the candidate would change, and how', async () => {
    const report = await replayPolicy({ db: database.db, candidate, since, until, examplesPerRule: 2, pageSize: 3 });
    assert.deepEqual(report.totals, { considered: 10, unchanged: 4, changed: 6, skipped: 1 });
    assert.deepEqual(report.recordedVersions, { [recordedPolicy.version]: 10 });
    assert.equal(report.candidateVersion, candidate.version);
    assert.deepEqual(report.changes, [
      { oldRuleId: 'prod-data-export', newRuleId: 'prod-data-export', changed: 3, outcomes: {}, quorumChanged: 3, approversChanged: 3, examples: ['act_export_1', 'act_export_2'] },
      { oldRuleId: 'read-only', newRuleId: null, changed: 2, outcomes: { 'allow -> deny': 2 }, quorumChanged: 0, approversChanged: 0, examples: ['act_read_prod_1', 'act_read_prod_2'] },
      { oldRuleId: 'prod-data-export', newRuleId: 'no-night-exports', changed: 1, outcomes: { 'require_approval -> deny': 1 }, quorumChanged: 1, approversChanged: 1, examples: ['act_export_night'] },
    ]);
  });

  test('without until, everything since is considered', async () => {
    const report = await replayPolicy({ db: database.db, candidate, since });
    assert.deepEqual(report.totals, { considered: 11, unchanged: 4, changed: 7, skipped: 1 });
  });

  test('the recorded policy replayed against itself changes nothing', async () => {
    const report = await replayPolicy({ db: database.db, candidate: recordedPolicy, since: new Date(0) });
    assert.deepEqual(report.totals, { considered: 12, unchanged: 12, changed: 0, skipped: 1 });
    assert.match(formatReplayReport(report), /no decision would change/);
  });

  test('the formatted report names rule pairs, moves and examples', async () => {
    const text = formatReplayReport(await replayPolicy({ db: database.db, candidate, since, until }));
    assert.match(text, /considered 10, unchanged 4, changed 6, skipped 1/);
    assert.match(text, /read-only -> \(default\): 2 changed\n  outcome allow -> deny: 2\n  e\.g\. act_read_prod_1, act_read_prod_2/);
    assert.match(text, /prod-data-export -> prod-data-export: 3 changed\n  quorum changed: 3\n  approvers changed: 3/);
  });
});
