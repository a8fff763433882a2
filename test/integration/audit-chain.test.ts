import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { auditKeys, Checkpointer, verifyTrail } from '../../audit';
import { createLogger } from '../../observability';
import { startStack, type TestStack } from '../support/stack';

const ACTIONS = 500;
const POLICY = `version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - id: allow-all
    when: 'true'
    decision: allow
    controls: ["SOC2:CC6.1"]
`;
const BOT = 'svc:etl-bot';
const AUDITOR = 'dave@example.com';

describe('500 actions through real workflows at once make one consistent audit chain', () => {
  let stack: TestStack;
  let sql: pg.Pool;
  let checkpointer: Checkpointer;
  const ids: string[] = [];

  before(async () => {
    const key = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    stack = await startStack({ policy: POLICY, env: { INTERLOCK_AUDIT_SIGNING_KEY: key } });
    sql = new pg.Pool({ connectionString: stack.services.config.databaseUrl });
    // Signing every 200 ms while the actions run: checkpoints interleave with appends from many workflows.
    checkpointer = new Checkpointer({ db: stack.services.database.db, signer: auditKeys(stack.services.config).signer!, log: createLogger({ level: 'silent', pretty: false }), intervalMs: 200 }).start();
    const submitted = await Promise.all(Array.from({ length: ACTIONS }, (_, i) => stack.submit(BOT, { action: 'read.rows', resource: `db://table/${i}`, params: { i } })));
    ids.push(...submitted.map((a) => a.id));
    const deadline = Date.now() + 180_000;
    for (;;) {
      const { rows } = await sql.query(`select count(*)::int as n from audit_events where type = 'action.approved'`);
      if (rows[0].n === ACTIONS) break;
      if (Date.now() > deadline) throw new Error(`only ${rows[0].n} of ${ACTIONS} actions were approved in time`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await checkpointer.stop(); // a last checkpoint over the final head
  });

  after(async () => {
    await sql?.end();
    await stack?.stop();
  });

  test('every action has its four events, once each, in order, on seq 1..2000 without a gap', async () => {
    const { rows } = await sql.query('select count(*)::int as n, min(seq)::int as lo, max(seq)::int as hi, count(distinct id)::int as ids from audit_events');
    assert.deepEqual(rows[0], { n: ACTIONS * 4, lo: 1, hi: ACTIONS * 4, ids: ACTIONS * 4 });
    const { rows: perAction } = await sql.query(`select action_id, array_agg(type order by seq) as types from audit_events group by action_id`);
    assert.equal(perAction.length, ACTIONS);
    for (const a of perAction) assert.deepEqual(a.types, ['action.submitted', 'policy.evaluated', 'action.approved', 'grant.issued'], a.action_id);
    assert.deepEqual(new Set(perAction.map((a: { action_id: string }) => a.action_id)), new Set(ids));
  });

  test('the chain verifies, ending on a signed checkpoint that covers every event', async () => {
    const r = await verifyTrail(stack.services.database.db, { verifiers: auditKeys(stack.services.config).verifiers });
    assert.equal(r.ok, true, r.message);
    assert.equal(r.count, ACTIONS * 4);
    assert.ok(r.checkpoints.verified >= 2, `${r.checkpoints.verified} checkpoints`);
    assert.equal(r.checkpoints.latest?.seq, ACTIONS * 4);
    assert.equal(r.checkpoints.unsignedEvents, 0);
    const api = await stack.call(AUDITOR, 'GET', '/v1/audit/verify');
    assert.equal(api.status, 200);
    assert.deepEqual([api.body.ok, api.body.count, api.body.head, api.body.firstBad], [true, ACTIONS * 4, r.head, null]);
  });

  test('GET /v1/audit is for auditors and admins only', async () => {
    assert.equal((await stack.call(BOT, 'GET', '/v1/audit')).status, 403);
    assert.equal((await stack.call('alice@example.com', 'GET', '/v1/audit/verify')).status, 403);
    assert.equal((await stack.call(null, 'GET', '/v1/audit')).status, 401);
    assert.equal((await stack.call('bob@example.com', 'GET', '/v1/audit?limit=1')).status, 200, 'admins may do what auditors may');
  });

  test('GET /v1/audit filters by action, type, actor and time, and pages with the cursor', async () => {
    const one = await stack.call(AUDITOR, 'GET', `/v1/audit?action_id=${ids[7]}`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body.items.map((e: any) => e.type), ['action.submitted', 'policy.evaluated', 'action.approved', 'grant.issued']);
    assert.equal(one.body.nextCursor, null);
    assert.ok(one.body.items.every((e: any) => e.actionId === ids[7] && /^[0-9a-f]{64}$/.test(e.hash)));

    const pages = async (query: string) => {
      const seen: any[] = [];
      let cursor: number | null = null;
      do {
        const page: { status: number; body: any } = await stack.call(AUDITOR, 'GET', `/v1/audit?${query}&limit=200${cursor === null ? '' : `&cursor=${cursor}`}`);
        assert.equal(page.status, 200);
        seen.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor !== null);
      return seen;
    };
    const approved = await pages('type=action.approved');
    assert.equal(approved.length, ACTIONS);
    assert.equal(new Set(approved.map((e) => e.id)).size, ACTIONS, 'no event twice across pages');
    assert.ok(approved.every((e, i) => e.type === 'action.approved' && (i === 0 || e.seq > approved[i - 1].seq)), 'in chain order');
    assert.equal((await pages('actor=policy')).length, ACTIONS * 2);
    assert.equal((await pages(`actor=${encodeURIComponent(BOT)}&type=action.submitted`)).length, ACTIONS);

    const at = one.body.items[0].at;
    const window = await pages(`from=${encodeURIComponent(at)}&to=${encodeURIComponent(at)}`);
    assert.ok(window.length >= 1 && window.every((e) => e.at === at), 'from and to are inclusive bounds on event time');
    assert.ok(window.some((e) => e.id === one.body.items[0].id));
  });

  test('a malformed filter is a 400 that names it', async () => {
    const badTime = await stack.call(AUDITOR, 'GET', '/v1/audit?from=yesterday');
    assert.equal(badTime.status, 400);
    assert.match(badTime.body.error.message, /from/);
    assert.equal((await stack.call(AUDITOR, 'GET', '/v1/audit?type=no.such.type')).status, 400);
    assert.equal((await stack.call(AUDITOR, 'GET', '/v1/audit?cursor=abc')).status, 400);
  });
});
