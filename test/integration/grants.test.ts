import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { calculateJwkThumbprint, decodeProtectedHeader, SignJWT } from 'jose';
import { buildApi } from '../../api';
import { actions as actionsTable } from '../../db';
import { DEV_GRANT_KEY_FILE, GrantKeys, paramsHash, verifyGrant } from '../../grants';
import { startStack, type TestStack } from '../support/stack';

const POLICY = `version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - id: gated-export
    when: action == "db.export"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 1}
    grant: 10m
  - id: gated-quick
    when: action == "db.quick"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 1}
    grant: 2s
`;

const BOT = 'svc:etl-bot';
const PARAMS = { table: 'customers', limit: 10, api_key: 'sk-live-do-not-leak' };

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('signed single-use grants', () => {
  let stack: TestStack;
  const jwksUrl = () => `${stack.url}/.well-known/jwks.json`;
  const issuer = () => stack.services.config.publicUrl;

  /** A gate-mode action submitted by the bot on behalf of alice, approved by bob; returns the requester's view. */
  async function approved(action = 'db.export', params: Record<string, unknown> = PARAMS) {
    const submitted = await stack.submit(BOT, { action, resource: 'postgres://prod/customers', environment: 'production', params, onBehalfOf: 'alice@example.com' });
    await stack.until(BOT, submitted.id, (a) => a.status === 'pending_approval');
    const voted = await stack.call('bob@example.com', 'POST', `/v1/actions/${submitted.id}/decisions`, { decision: 'approve' });
    assert.equal(voted.status, 200, JSON.stringify(voted.body));
    assert.equal(voted.body.grant.token, undefined, 'the approver does not get the token in its vote answer');
    return stack.until(BOT, submitted.id, (a) => a.status === 'approved' && a.grant?.token);
  }
  const redeem = (as: string, grant: string, params: unknown = PARAMS) => stack.call(as, 'POST', '/v1/grants/redeem', { grant, params });
  const refusals = async (id?: string) => (await stack.call('dave@example.com', 'GET', `/v1/audit?type=grant.refused&limit=1000`)).body.items.filter((e: any) => !id || e.actionId === id || e.data.claimedActionId === id);

  before(async () => {
    stack = await startStack({ policy: POLICY });
  });
  after(() => stack?.stop());

  test('only the requester sees the token; approvers, auditors and the on-behalf-of person see that a grant exists', async () => {
    const a = await approved();
    const claims = await verifyGrant(a.grant.token, { jwksUrl: jwksUrl(), issuer: issuer(), params: PARAMS, action: 'db.export', actionId: a.id });
    const issued = (await stack.call('dave@example.com', 'GET', `/v1/actions/${a.id}/audit`)).body.items.find((e: any) => e.type === 'grant.issued');
    assert.deepEqual({ ...claims }, { iss: issuer(), sub: a.id, jti: issued.data.jti, iat: Math.floor(Date.parse(issued.data.issuedAt) / 1000), exp: Math.floor(Date.parse(issued.data.expiresAt) / 1000), act: 'db.export', res: 'postgres://prod/customers', env: 'production', ph: paramsHash(PARAMS) });
    assert.equal(claims.exp - claims.iat, 600);
    assert.equal(a.grant.expiresAt, issued.data.expiresAt);
    assert.equal(a.grant.redeemedAt, null);
    assert.deepEqual(Object.keys(a.grant).sort(), ['expiresAt', 'redeemedAt', 'token']);

    const jwks = (await stack.call(null, 'GET', '/.well-known/jwks.json')).body;
    const header = decodeProtectedHeader(a.grant.token);
    assert.deepEqual(header, { alg: 'EdDSA', kid: jwks.keys[0].kid });
    assert.equal(jwks.keys[0].kid, await calculateJwkThumbprint(jwks.keys[0]), 'kid is the RFC 7638 thumbprint');
    assert.equal(await stack.call(BOT, 'GET', `/v1/actions/${a.id}`).then((r) => r.body.grant.token), a.grant.token, 'the same token on every read');

    for (const who of ['bob@example.com', 'dave@example.com', 'alice@example.com']) {
      const seen = (await stack.call(who, 'GET', `/v1/actions/${a.id}`)).body;
      assert.deepEqual(seen.grant, { expiresAt: a.grant.expiresAt, redeemedAt: null }, who);
      const listed = (await stack.call(who, 'GET', '/v1/actions?limit=200')).body.items.find((x: any) => x.id === a.id);
      assert.deepEqual(listed.grant, { expiresAt: a.grant.expiresAt, redeemedAt: null }, `${who} in the list`);
    }
    const mine = (await stack.call(BOT, 'GET', '/v1/actions?limit=200')).body.items.find((x: any) => x.id === a.id);
    assert.equal(mine.grant.token, a.grant.token, 'the requester finds it in the list too');

    // Nowhere at rest: not in the audit trail, the projection, or the workflow history.
    const audit = JSON.stringify((await stack.call('dave@example.com', 'GET', `/v1/actions/${a.id}/audit`)).body);
    const [row] = await stack.services.database.db.select().from(actionsTable).where(eq(actionsTable.id, a.id));
    const history = JSON.stringify(await stack.temporal.workflow.getHandle(a.id).fetchHistory());
    const signature = a.grant.token.split('.')[2];
    for (const [where, text] of [['audit', audit], ['projection', JSON.stringify(row)], ['history', history]]) {
      assert.ok(!text.includes(signature), `no token in the ${where}`);
      assert.ok(!text.includes('sk-live-do-not-leak'), `no secret param in the ${where}`);
    }
  });

  test('redeemed once with the approved params: executing, then succeeded; every misuse refused with its code and audited', async () => {
    const a = await approved();
    const token: string = a.grant.token;
    const [h, p, s] = token.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const other = generateKeyPairSync('ed25519').privateKey;
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: decodeProtectedHeader(token).kid! }).sign(other);
    const altered = `${h}.${b64({ ...claims, res: 'postgres://prod/everything' })}.${s}`;
    const none = `${b64({ alg: 'none', kid: decodeProtectedHeader(token).kid })}.${p}.`;
    const hsHeader = b64({ alg: 'HS256', kid: decodeProtectedHeader(token).kid });
    const jwks = (await stack.call(null, 'GET', '/.well-known/jwks.json')).body;
    const hs256 = `${hsHeader}.${p}.${createHmac('sha256', JSON.stringify(jwks.keys[0])).update(`${hsHeader}.${p}`).digest('base64url')}`;

    const expect = async (res: Promise<{ status: number; body: any }>, status: number, code: string) => {
      const r = await res;
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(r.body.error.code, code);
      assert.ok(!JSON.stringify(r.body).includes(s), 'the answer does not echo the token');
    };
    await expect(redeem(BOT, forged), 401, 'grant_invalid');
    await expect(redeem(BOT, altered), 401, 'grant_invalid');
    await expect(redeem(BOT, none), 401, 'grant_invalid');
    await expect(redeem(BOT, hs256), 401, 'grant_invalid');
    await expect(redeem(BOT, 'not-a-jws'), 401, 'grant_invalid');
    await expect(redeem(BOT, token, { ...PARAMS, limit: 10_000 }), 409, 'grant_params_mismatch');
    await expect(redeem('bob@example.com', token), 403, 'not_allowed');
    await expect(stack.call(BOT, 'POST', '/v1/grants/redeem', { grant: token }), 400, 'invalid_request');
    assert.equal((await stack.call(BOT, 'GET', `/v1/actions/${a.id}`)).body.status, 'approved', 'no refusal changed anything');

    // Two redemptions at once: one is taken.
    const both = await Promise.all([redeem(BOT, token), redeem(BOT, token)]);
    assert.deepEqual(both.map((r) => r.status).sort(), [200, 409], JSON.stringify(both.map((r) => r.body)));
    const ok = both.find((r) => r.status === 200)!.body;
    assert.equal(ok.status, 'executing');
    assert.ok(ok.grant.redeemedAt);
    assert.equal(both.find((r) => r.status === 409)!.body.error.code, 'grant_used');
    await expect(redeem(BOT, token), 409, 'grant_used');

    const done = await stack.call(BOT, 'POST', `/v1/actions/${a.id}/result`, { status: 'succeeded', output: { exitCode: 0 } });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.status, 'succeeded');
    assert.equal(done.body.grant.token, undefined, 'a used grant is no longer handed out');

    const trail = (await stack.call('dave@example.com', 'GET', `/v1/actions/${a.id}/audit`)).body.items;
    const types = trail.map((e: any) => e.type);
    assert.deepEqual(types.slice(types.indexOf('grant.issued')).filter((t: string) => t !== 'grant.refused'), ['grant.issued', 'grant.redeemed', 'execution.started', 'execution.succeeded']);
    assert.equal(trail.find((e: any) => e.type === 'grant.redeemed').data.paramsHash, paramsHash(PARAMS));
    // Verified tokens are refused under the action; unverified ones name the action they claim.
    const reasons = (await refusals(a.id)).map((e: any) => `${e.actor}:${e.data.reason}`).sort();
    assert.deepEqual(reasons, [`${BOT}:grant_invalid`, `${BOT}:grant_invalid`, `${BOT}:grant_invalid`, `${BOT}:grant_invalid`, `${BOT}:grant_params_mismatch`, `${BOT}:grant_used`, `${BOT}:grant_used`, 'bob@example.com:not_allowed'].sort());
    assert.ok(!JSON.stringify(await refusals()).includes(s), 'no refusal holds the token');
  });

  test('a redemption after the window closed is grant_expired, and audited', async () => {
    const a = await approved('db.quick', { table: 't' });
    await stack.until(BOT, a.id, (x) => /grant window closed/.test(x.statusReason ?? ''), 10_000);
    const late = await redeem(BOT, a.grant.token, { table: 't' });
    assert.equal(late.status, 409, JSON.stringify(late.body));
    assert.equal(late.body.error.code, 'grant_expired');
    assert.deepEqual((await refusals(a.id)).map((e: any) => e.data.reason), ['grant_expired']);
    const final = (await stack.call(BOT, 'GET', `/v1/actions/${a.id}`)).body;
    assert.equal(final.status, 'approved');
    assert.deepEqual(Object.keys(final.grant).sort(), ['expiresAt', 'redeemedAt'], 'a lapsed grant is no longer handed out');
  });

  test('the OpenAPI document describes both routes, the redemption with its refusal statuses', async () => {
    const doc = (await stack.call(null, 'GET', '/docs/json')).body;
    const redeemDoc = doc.paths['/v1/grants/redeem'].post;
    for (const status of ['200', '401', '403', '409']) assert.ok(redeemDoc.responses[status], status);
    assert.deepEqual(Object.keys(redeemDoc.requestBody.content['application/json'].schema.properties).sort(), ['grant', 'params']);
    assert.ok(doc.paths['/.well-known/jwks.json'].get.responses['200']);
    assert.equal(doc.paths['/.well-known/jwks.json'].get.security, undefined, 'open, like /healthz');
  });

  test('the development key lives under the data dir, readable by its owner only', () => {
    const file = path.join(stack.services.config.dataDir, DEV_GRANT_KEY_FILE);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(stack.services.grants.source, file);
  });

  test('after a rotation old grants still verify and redeem, new ones use the new key, and key.rotated is written once', async () => {
    const a = await approved();
    const oldKid = stack.services.grants.signing.kid;
    const oldPem = stack.services.grants.signing.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const newPem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const rotated = GrantKeys.fromPem(`${newPem}\n${oldPem}`, 'INTERLOCK_GRANT_SIGNING_KEY');
    // Two API processes start with the new key at once.
    const apis = await Promise.all([0, 1].map(() => buildApi({ services: { ...stack.services, grants: rotated }, temporal: stack.temporal })));
    try {
      await Promise.all(apis.map((api) => api.listen({ host: '127.0.0.1', port: 0 })));
      const url = `http://127.0.0.1:${(apis[0].server.address() as { port: number }).port}`;
      const events = (await stack.call('dave@example.com', 'GET', '/v1/audit?type=key.rotated')).body.items;
      assert.equal(events.length, 1, JSON.stringify(events));
      assert.deepEqual({ oldKid: events[0].data.oldKid, newKid: events[0].data.newKid }, { oldKid, newKid: rotated.signing.kid });
      const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as any;
      assert.deepEqual(jwks.keys.map((k: any) => k.kid), [rotated.signing.kid, oldKid]);
      // The grant signed before the rotation, checked and redeemed against the rotated deployment.
      await verifyGrant(a.grant.token, { jwks, issuer: issuer(), params: PARAMS });
      const headers = { authorization: `Bearer ${stack.tokens[BOT]}` };
      const viaNew = (await (await fetch(`${url}/v1/actions/${a.id}`, { headers })).json()) as any;
      assert.equal(decodeProtectedHeader(viaNew.grant.token).kid, rotated.signing.kid, 'new reads are signed with the new key');
      const res = await fetch(`${url}/v1/grants/redeem`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ grant: a.grant.token, params: PARAMS }) });
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(((await res.json()) as any).status, 'executing');
    } finally {
      await Promise.all(apis.map((api) => api.close()));
    }
  });
});
