import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { auditKeys, chainHash, createCheckpoint } from '../../audit';
import { runCli } from '../../cli';
import { startStack, type TestStack } from '../support/stack';

const POLICY = `version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - id: reads
    when: action.startsWith("read.")
    decision: allow
    controls: ["SOC2:CC6.1", "ISO27001:A.5.15", "NIST800-53:AC-3"]
  - id: drop
    when: action == "db.drop"
    decision: deny
    controls: ["NIST 800-53:ac-6"]
  - id: export
    when: action == "db.export"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 1}
    controls: ["SOC2:CC6.1", "SOC2:CC8.1", "NIST800-53:CM-3"]
  - id: flush
    when: action == "cache.flush"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 1}
    timeout: 1s
    controls: ["ISO27001:2022:A.8.32"]
  - id: infra
    when: action.startsWith("infra.")
    decision: require_approval
    approvers: {groups: [sre-oncall, security-oncall], quorum: 1}
    break_glass: {groups: [sre-oncall]}
    controls: ["SOC2:CC7.2"]
`;
const BOT = 'svc:etl-bot';

describe('audit export writes the events and an evidence summary an auditor can read', () => {
  let stack: TestStack;
  let dir: string;
  const key = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const cli = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const env = { ...process.env, DATABASE_URL: stack.services.config.databaseUrl, INTERLOCK_DATA_DIR: stack.services.config.dataDir, INTERLOCK_AUDIT_SIGNING_KEY: key };
    const code = await runCli(argv, { out: (s) => out.push(s), err: (s) => err.push(s), env });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  before(async () => {
    stack = await startStack({ policy: POLICY, env: { INTERLOCK_AUDIT_SIGNING_KEY: key } });
    dir = mkdtempSync(path.join(os.tmpdir(), 'interlock-export-'));
    const settle = (id: string, status: string) => stack.until(BOT, id, (a) => a.status === status, 30_000);
    const vote = (id: string, who: string, decision = 'approve') => stack.call(who, 'POST', `/v1/actions/${id}/decisions`, { decision });

    for (let i = 0; i < 3; i++) await settle((await stack.submit(BOT, { action: 'read.rows', resource: `db://r${i}` })).id, 'approved');
    await settle((await stack.submit(BOT, { action: 'db.drop', resource: 'db://x' })).id, 'denied');
    for (const who of ['alice@example.com', 'erin@example.com']) {
      const a = await stack.submit(BOT, { action: 'db.export', resource: 'db://customers', onBehalfOf: 'bob@example.com' });
      await settle(a.id, 'pending_approval');
      assert.equal((await vote(a.id, 'bob@example.com')).status, 403, 'the on-behalf-of principal may not approve');
      assert.equal((await vote(a.id, who)).status, 200);
    }
    const denied = await stack.submit(BOT, { action: 'db.export', resource: 'db://customers' });
    await settle(denied.id, 'pending_approval');
    await vote(denied.id, 'erin@example.com', 'deny');
    await settle((await stack.submit(BOT, { action: 'cache.flush', resource: 'redis://prod' })).id, 'expired');
    const glass = await stack.submit('sre@example.com', { action: 'infra.restart', resource: 'k8s://prod/api', breakGlass: true, justification: 'outage' });
    await stack.until('sre@example.com', glass.id, (a) => a.status === 'pending_approval');
    assert.equal((await vote(glass.id, 'sre@example.com')).status, 200, 'break-glass self-approval is allowed by the rule');
    await stack.until('sre@example.com', glass.id, (a) => a.status === 'approved');
    await createCheckpoint(stack.services.database.db, auditKeys(stack.services.config).signer!);
  });

  after(async () => {
    await stack?.stop();
  });

  test('jsonl: one line per event, and a summary with the counts per control', async () => {
    const out = path.join(dir, 'evidence.jsonl');
    const r = await cli('audit', 'export', '--from', '1h', '--to', 'now', '--format', 'jsonl', '--out', out);
    assert.equal(r.code, 0, r.err);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    const report = JSON.parse(readFileSync(`${out}.summary.json`, 'utf8'));
    const s = report.summary;
    assert.equal(lines.length, s.events);
    assert.ok(lines.every((e, i) => i === 0 || e.seq > lines[i - 1].seq), 'in chain order');

    const counts = (t: any) => [t.actions, t.autoAllowed, t.approved, t.denied, t.expired, t.pending, t.breakGlass];
    assert.deepEqual(counts(s.overall), [9, 3, 3, 2, 1, 0, 1]);
    const control = (id: string) => s.controls.find((c: any) => c.id === id);
    assert.deepEqual(counts(control('SOC2:CC6.1').tally), [6, 3, 2, 1, 0, 0, 0]);
    assert.deepEqual(counts(control('NIST800-53:AC-3').tally), [3, 3, 0, 0, 0, 0, 0]);
    assert.deepEqual(counts(control('NIST800-53:AC-6').tally), [1, 0, 0, 1, 0, 0, 0], '"NIST 800-53:ac-6" counts as NIST800-53:AC-6');
    assert.deepEqual(counts(control('ISO27001:A.8.32').tally), [1, 0, 0, 0, 1, 0, 0], '"ISO27001:2022:A.8.32" counts as ISO27001:A.8.32');
    assert.deepEqual(counts(control('SOC2:CC7.2').tally), [1, 0, 1, 0, 0, 0, 1]);
    assert.deepEqual(counts(control('NIST800-53:AU-9').tally), [9, 3, 3, 2, 1, 0, 1], 'a platform control covers every action');
    assert.ok(control('NIST800-53:AU-10').platform);
    assert.deepEqual(counts(control('SOC2:CC6.2').tally), [0, 0, 0, 0, 0, 0, 0], 'a control no rule names is listed with zeros');
    const median = control('SOC2:CC6.1').tally.timeToDecisionMs.median;
    assert.ok(typeof median === 'number' && median >= 0, `a control with decided actions has a median time to decision (got ${median})`);
    assert.ok(control('SOC2:CC8.1').tally.timeToHumanDecisionMs.p95 > 0);

    assert.equal(s.separationOfDuties.approvalsChecked, 3);
    assert.deepEqual(s.separationOfDuties.violations.map((v: any) => [v.approver, v.role, v.breakGlass]), [['sre@example.com', 'requester', true]]);
    assert.deepEqual(s.breakGlass.map((b: any) => [b.requester, b.outcome, b.selfApproved]), [['sre@example.com', 'approved', true]]);

    assert.equal(report.verification.ok, true);
    assert.equal(report.verification.checkpoints.latest.seq, report.verification.count);
    const md = readFileSync(`${out}.summary.md`, 'utf8');
    assert.match(md, /## Integrity of the trail\n\n\*\*Verified\.\*\*/);
    assert.match(md, /ends on checkpoint #1/);
    assert.match(md, /sre@example.com \(the requester\).*break-glass/);
    assert.match(md, /\| NIST800-53:AU-9 Protection of audit information \| platform: every action \| 9 \| 3 \| 3 \| 2 \| 1 \|/);
  });

  test('csv: a header, one row per event, and each row recomputes to its hash', async () => {
    const out = path.join(dir, 'evidence.csv');
    const r = await cli('audit', 'export', '--from', new Date(Date.now() - 3_600_000).toISOString(), '--format', 'csv', '--out', out);
    assert.equal(r.code, 0, r.err);
    const rows = parseCsv(readFileSync(out, 'utf8'));
    assert.deepEqual(rows[0], ['seq', 'id', 'actionId', 'type', 'actor', 'at', 'policyVersion', 'prevHash', 'hash', 'data']);
    const report = JSON.parse(readFileSync(`${out}.summary.json`, 'utf8'));
    assert.equal(rows.length - 1, report.summary.events);
    for (const [seq, id, actionId, type, actor, at, policyVersion, prevHash, hash, data] of rows.slice(1)) {
      assert.equal(chainHash({ seq: Number(seq), id, actionId: actionId || null, type, actor, at, data: JSON.parse(data), policyVersion: policyVersion || null }, prevHash), hash);
    }
  });

  test('a window with nothing in it exports nothing; bad times and formats are refused with the reason', async () => {
    const out = path.join(dir, 'empty.jsonl');
    const r = await cli('audit', 'export', '--from', '2001-01-01T00:00:00Z', '--to', '2001-01-02T00:00:00Z', '--format', 'jsonl', '--out', out);
    assert.equal(r.code, 0, r.err);
    assert.equal(readFileSync(out, 'utf8'), '');
    assert.equal(JSON.parse(readFileSync(`${out}.summary.json`, 'utf8')).summary.overall.actions, 0);
    const bad = await cli('audit', 'export', '--from', 'last tuesday', '--format', 'jsonl');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--from "last tuesday" is neither an ISO time/);
    assert.equal((await cli('audit', 'export', '--format', 'xml')).code, 2);
  });

  test('audit verify, checkpoint and public-key from the command line', async () => {
    const verify = await cli('audit', 'verify');
    assert.equal(verify.code, 0, verify.err);
    assert.equal(JSON.parse(verify.out).ok, true);
    const checkpoint = await cli('audit', 'checkpoint');
    assert.equal(checkpoint.code, 0, checkpoint.err);
    assert.equal(JSON.parse(checkpoint.out).id, 2);
    const pem = await cli('audit', 'public-key');
    assert.match(pem.out, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----$/);
    // An auditor with the public key only, and a wrong one.
    const withPublic = await runCli(['audit', 'verify'], { out: () => {}, err: () => {}, env: { ...process.env, DATABASE_URL: stack.services.config.databaseUrl, INTERLOCK_DATA_DIR: dir, INTERLOCK_AUDIT_PUBLIC_KEY: pem.out } });
    assert.equal(withPublic, 0);
    const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const withWrong = await runCli(['audit', 'verify'], { out: () => {}, err: () => {}, env: { ...process.env, DATABASE_URL: stack.services.config.databaseUrl, INTERLOCK_DATA_DIR: dir, INTERLOCK_AUDIT_PUBLIC_KEY: other } });
    assert.equal(withWrong, 1);
  });
});

/** RFC 4180, enough for the export: quoted fields with doubled quotes and line breaks inside. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (quoted && c === '"') quoted = false;
    else if (quoted) field += c;
    else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}
