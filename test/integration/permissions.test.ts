import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createToken, revokeToken } from '../../identity';
import { DEFAULT_PRINCIPALS, startStack, type TestStack } from '../support/stack';

/**
 * Who may call what: every REST route against every kind of caller, as one table. The contract's Roles: a
 * requester reads its own actions, an approver those it may decide, auditors and admins all; admins may also
 * cancel any action. A caller that may not read an action gets 403 on every route of it (and nothing of the action);
 * an id that names no action is 404.
 */

// sre@ approves only prod-infra-change; root@ is an admin who approves nothing; svc:other-bot requests too.
const PRINCIPALS = `${DEFAULT_PRINCIPALS}  - {id: "svc:other-bot", kind: service, groups: [pipelines]}
  - {id: "root@example.com", kind: human, groups: [admins]}
`;

const CALLERS = {
  requester: 'svc:etl-bot',
  otherRequester: 'svc:other-bot',
  approver: 'alice@example.com', // data-owners: an approver of the pending db.export
  otherApprover: 'sre@example.com',
  auditor: 'dave@example.com',
  admin: 'root@example.com',
  noToken: null,
  badToken: 'ilk_this-token-was-never-issued',
  revokedToken: 'revoked', // replaced by a revoked token of the requester in before()
} as const;
type Caller = keyof typeof CALLERS;
const COLUMNS = Object.keys(CALLERS) as Caller[];

/** The action a row's route is called on: shared by read-only rows, made anew per cell where the call changes it. */
type Target = 'none' | 'pending' | 'approved' | 'cancelled';

interface Row {
  route: string;
  target: Target;
  /** The call changes the action (a vote, a cancel, a result): every cell gets its own. */
  fresh?: boolean;
  body?: unknown;
  expect: number[];
}

const submission = { action: 'read.matrix', resource: 'postgres://staging/orders', environment: 'staging' };

// prettier-ignore
const TABLE: Row[] = [
  //                                                                      req  other appr  o.apr audit admin none  bad   revok
  { route: 'POST /v1/actions',                      target: 'none',      body: submission,
                                                                expect: [202, 202,  202,  202,  202,  202,  401,  401,  401] },
  { route: 'GET /v1/actions',                       target: 'none',     expect: [200, 200,  200,  200,  200,  200,  401,  401,  401] },
  { route: 'GET /v1/actions/{id}',                  target: 'pending',  expect: [200, 403,  200,  403,  200,  200,  401,  401,  401] },
  { route: 'GET /v1/actions/{id}/wait?timeout=0',   target: 'pending',  expect: [200, 403,  200,  403,  200,  200,  401,  401,  401] },
  { route: 'GET /v1/actions/{id}/audit',            target: 'pending',  expect: [200, 403,  200,  403,  200,  200,  401,  401,  401] },
  // A caller who may not read the action may not vote on it: 403 not_an_approver (the contract's answer), and nothing more.
  { route: 'POST /v1/actions/{id}/decisions',       target: 'pending',  fresh: true, body: { decision: 'approve', comment: 'matrix' },
                                                                expect: [403, 403,  200,  403,  403,  403,  401,  401,  401] },
  { route: 'POST /v1/actions/{id}/decisions',       target: 'cancelled', body: { decision: 'approve' },
                                                                expect: [409, 403,  409,  403,  409,  409,  401,  401,  401] },
  { route: 'POST /v1/actions/{id}/cancel',          target: 'pending',  fresh: true, body: { reason: 'matrix' },
                                                                expect: [200, 403,  403,  403,  403,  200,  401,  401,  401] },
  // A closed workflow takes no Update at all: whoever may read it learns it is closed.
  { route: 'POST /v1/actions/{id}/cancel',          target: 'cancelled', body: {},
                                                                expect: [409, 403,  409,  403,  409,  409,  401,  401,  401] },
  { route: 'POST /v1/actions/{id}/result',          target: 'approved', fresh: true, body: { status: 'succeeded', output: 'ran' },
                                                                expect: [200, 403,  403,  403,  403,  403,  401,  401,  401] },
  { route: 'GET /v1/audit',                         target: 'none',     expect: [403, 403,  403,  403,  200,  200,  401,  401,  401] },
  { route: 'GET /v1/audit/verify',                  target: 'none',     expect: [403, 403,  403,  403,  200,  200,  401,  401,  401] },
  { route: 'POST /v1/policy/evaluate',              target: 'none',     body: submission,
                                                                expect: [200, 200,  200,  200,  200,  200,  401,  401,  401] },
  // Open routes ignore whatever token is sent.
  { route: 'GET /healthz',                          target: 'none',     expect: [200, 200,  200,  200,  200,  200,  200,  200,  200] },
  { route: 'GET /readyz',                           target: 'none',     expect: [200, 200,  200,  200,  200,  200,  200,  200,  200] },
  { route: 'GET /metrics',                          target: 'none',     expect: [200, 200,  200,  200,  200,  200,  200,  200,  200] },
  { route: 'GET /docs/json',                        target: 'none',     expect: [200, 200,  200,  200,  200,  200,  200,  200,  200] },
];

describe('the permission matrix: every route against every caller', () => {
  let stack: TestStack;
  let revoked: string;
  const shared = new Map<Target, string>();

  const exportBody = { action: 'db.export', resource: 'postgres://prod/customers', environment: 'production', justification: 'permission matrix' };
  const prepare: Record<Exclude<Target, 'none'>, () => Promise<string>> = {
    pending: async () => {
      const a = await stack.submit(CALLERS.requester, exportBody);
      return (await stack.until(CALLERS.requester, a.id, (x) => x.status === 'pending_approval')).id;
    },
    // Gate mode (no executor), approved by two data owners: waiting for the requester's result.
    approved: async () => {
      const id = await prepare.pending();
      for (const voter of ['alice@example.com', 'erin@example.com']) {
        const vote = await stack.call(voter, 'POST', `/v1/actions/${id}/decisions`, { decision: 'approve' });
        assert.equal(vote.status, 200, JSON.stringify(vote.body));
      }
      return (await stack.until(CALLERS.requester, id, (x) => x.status === 'approved')).id;
    },
    cancelled: async () => {
      const id = await prepare.pending();
      const res = await stack.call(CALLERS.requester, 'POST', `/v1/actions/${id}/cancel`, {});
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return id;
    },
  };

  before(async () => {
    stack = await startStack({ principals: PRINCIPALS });
    const token = await createToken(stack.services.database.db, CALLERS.requester, 'revoked by the matrix test');
    assert.ok(await revokeToken(stack.services.database.db, token.id), 'a live token is revoked');
    revoked = token.token;
    for (const t of ['pending', 'approved', 'cancelled'] as const) shared.set(t, await prepare[t]());
  });
  after(() => stack?.stop());

  const bearer = (c: Caller) => (c === 'revokedToken' ? revoked : CALLERS[c]);

  for (const row of TABLE) {
    test(`${row.route} (${row.target === 'none' ? 'no action' : `${row.fresh ? 'a fresh' : 'one shared'} ${row.target} action`})`, async () => {
      const [method, path] = row.route.split(' ');
      const actual: Record<string, number> = {};
      for (const caller of COLUMNS) {
        const id = row.target === 'none' ? '' : row.fresh ? await prepare[row.target]() : shared.get(row.target)!;
        const res = await stack.call(bearer(caller), method, path.replace('{id}', id), row.body);
        actual[caller] = res.status;
        if (res.status >= 400 && !path.startsWith('/docs')) assert.equal(typeof res.body?.error?.code, 'string', `${caller}: ${JSON.stringify(res.body)}`);
      }
      assert.deepEqual(actual, Object.fromEntries(COLUMNS.map((c, i) => [c, row.expect[i]])));
    });
  }

  test('the shared actions are unchanged by the read-only rows and the refused calls', async () => {
    assert.equal((await stack.call(CALLERS.auditor, 'GET', `/v1/actions/${shared.get('pending')}`)).body.status, 'pending_approval');
    assert.equal((await stack.call(CALLERS.auditor, 'GET', `/v1/actions/${shared.get('approved')}`)).body.status, 'approved');
  });
});
