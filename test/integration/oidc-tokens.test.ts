import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { peopleIssuerYaml, startIdp, type IdpClient, type TestIdp } from '../support/idp';
import { DEFAULT_PRINCIPALS, startStack, type TestStack } from '../support/stack';

/**
 * Pipelines authenticate with their IdP's tokens (here the real oidc-provider): principals.yaml's `issuers:` says
 * which issuer and audience are accepted, which claims a token must carry and how its claims name the principal.
 */

const PIPELINE: IdpClient = { clientId: 'acme-app', secret: 'acme-app-secret-0123456789', claims: { repository: 'acme/app', repository_owner: 'acme', groups: ['deployers', 'admins'] } };
const FOREIGN: IdpClient = { clientId: 'evil-app', secret: 'evil-app-secret-0123456789', claims: { repository: 'evil/app', repository_owner: 'evil' } };
const POLICY = `version: 1
defaults: {timeout: 1h, decision: deny}
rules:
  - {id: pipeline-reads, when: 'action == "read.orders"', decision: allow}
  - id: risky-drop
    when: action == "db.drop"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 1}
    step_up: {max_age: 5m}
`;
const submission = { action: 'read.orders', resource: 'postgres://staging/orders', environment: 'staging' };

function principalsFor(issuer: string) {
  return `${DEFAULT_PRINCIPALS}  - {id: gina, kind: human, groups: [data-owners], email: gina@example.com}
  - {id: hank, kind: human, groups: [data-owners], email: hank@example.com}
issuers:
  - issuer: ${issuer}
    audience: interlock
    principal: "svc:gh-{repository}"
    kind: service
    claims: {repository_owner: acme}
    groups: [pipelines]
    groups_claim: groups
${peopleIssuerYaml(issuer)}`;
}

describe('OIDC bearer tokens on the API', () => {
  let idp: TestIdp;
  let stranger: TestIdp;
  let stack: TestStack;
  const now = () => Math.floor(Date.now() / 1000);

  before(async () => {
    idp = await startIdp([PIPELINE, FOREIGN]);
    stranger = await startIdp([PIPELINE]);
    stack = await startStack({ policy: POLICY, principals: principalsFor(idp.issuer), env: { INTERLOCK_JWKS_COOLDOWN: '0' } });
  });
  after(async () => {
    await stack?.stop();
    await idp?.stop();
    await stranger?.stop();
  });

  test("a pipeline's client-credentials token submits as the principal its claims name", async () => {
    const token = await idp.clientToken(PIPELINE);
    const res = await stack.call(token, 'POST', '/v1/actions', submission);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.requester, 'svc:gh-acme/app');
    const read = await stack.call(token, 'GET', `/v1/actions/${res.body.id}`);
    assert.equal(read.status, 200);
  });

  test('admins or auditors in a token\'s groups claim grant nothing: the trail stays closed', async () => {
    const token = await idp.clientToken(PIPELINE);
    const res = await stack.call(token, 'GET', '/v1/audit');
    assert.equal(res.status, 403);
  });

  test('a token without the required claim values is refused with 401 naming the claim', async () => {
    const token = await idp.clientToken(FOREIGN);
    const res = await stack.call(token, 'POST', '/v1/actions', submission);
    assert.equal(res.status, 401);
    assert.match(res.body.error.message, /repository_owner="acme"/);
    assert.equal(res.body.error.details[0].reason, 'missing_claim');
  });

  test('a token for another audience is 401 wrong_audience', async () => {
    const token = await idp.clientToken(PIPELINE, 'billing-api');
    const res = await stack.call(token, 'GET', '/v1/actions');
    assert.equal(res.status, 401);
    assert.equal(res.body.error.details[0].reason, 'wrong_audience');
    assert.match(res.body.error.message, /audience/);
  });

  test('a token of an issuer principals.yaml does not name is 401 unknown_issuer', async () => {
    const token = await stranger.clientToken(PIPELINE);
    const res = await stack.call(token, 'GET', '/v1/actions');
    assert.equal(res.status, 401);
    assert.equal(res.body.error.details[0].reason, 'unknown_issuer');
    assert.match(res.body.error.message, new RegExp(stranger.issuer));
  });

  test('an expired token and a token not yet valid are 401 saying which', async () => {
    const base = { iss: idp.issuer, aud: 'interlock', repository: 'acme/app', repository_owner: 'acme' };
    const expired = await idp.sign({ ...base, iat: now() - 3600, exp: now() - 600 });
    const early = await idp.sign({ ...base, iat: now(), nbf: now() + 600, exp: now() + 1200 });
    const a = await stack.call(expired, 'GET', '/v1/actions');
    assert.equal(a.status, 401);
    assert.equal(a.body.error.details[0].reason, 'expired');
    assert.match(a.body.error.message, /expired/);
    const b = await stack.call(early, 'GET', '/v1/actions');
    assert.equal(b.status, 401);
    assert.equal(b.body.error.details[0].reason, 'not_yet_valid');
  });

  test('a token without an expiry, or with a shared-secret algorithm, is refused', async () => {
    const noExp = await idp.sign({ iss: idp.issuer, aud: 'interlock', repository: 'acme/app', repository_owner: 'acme', iat: now() });
    assert.equal((await stack.call(noExp, 'GET', '/v1/actions')).status, 401);
    const { SignJWT } = await import('jose');
    const hs = await new SignJWT({ iss: idp.issuer, aud: 'interlock', repository: 'acme/app', repository_owner: 'acme', exp: now() + 300 })
      .setProtectedHeader({ alg: 'HS256', kid: idp.kid() })
      .sign(new TextEncoder().encode('a-secret-anyone-could-choose-0123456789'));
    const res = await stack.call(hs, 'GET', '/v1/actions');
    assert.equal(res.status, 401);
    assert.match(res.body.error.message, /algorithm/);
  });

  test('a rotation of the provider keys is followed without a restart', async () => {
    const before = await idp.clientToken(PIPELINE);
    assert.equal((await stack.call(before, 'GET', '/v1/actions')).status, 200);
    const oldKid = idp.kid();
    await idp.rotate();
    assert.notEqual(idp.kid(), oldKid);
    const afterRotation = await idp.clientToken(PIPELINE);
    const res = await stack.call(afterRotation, 'GET', '/v1/actions');
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });

  test("an onBehalfOf e-mail under the people issuer's email_domains is a known person; another domain is not", async () => {
    const token = await idp.clientToken(PIPELINE);
    const ok = await stack.call(token, 'POST', '/v1/actions', { ...submission, onBehalfOf: 'Zoe@Example.com' });
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
    assert.equal(ok.body.onBehalfOf, 'zoe@example.com');
    const refused = await stack.call(token, 'POST', '/v1/actions', { ...submission, onBehalfOf: 'zoe@elsewhere.org' });
    assert.equal(refused.status, 422);
    assert.equal(refused.body.error.code, 'unknown_principal');
  });

  const person = (email: string, authTime: number) =>
    idp.sign({ iss: idp.issuer, aud: 'interlock-console', sub: email, email, email_verified: true, groups: ['data-owners'], auth_time: authTime, iat: now(), exp: now() + 300 });
  const drop = { action: 'db.drop', resource: 'postgres://prod/customers', environment: 'production' };

  test('a step-up rule refuses an approval without a recent IdP sign-in with 403 step_up_required, and counts one with it', async () => {
    const submitted = await stack.submit('svc:etl-bot', drop);
    const action = await stack.until('svc:etl-bot', submitted.id, (a) => a.status === 'pending_approval');
    assert.deepEqual(action.decision.stepUp, { maxAgeSeconds: 300 });
    const viaInterlockToken = await stack.call('alice@example.com', 'POST', `/v1/actions/${action.id}/decisions`, { decision: 'approve' });
    assert.equal(viaInterlockToken.status, 403);
    assert.equal(viaInterlockToken.body.error.code, 'step_up_required');
    const stale = await stack.call(await person('alice@example.com', now() - 600), 'POST', `/v1/actions/${action.id}/decisions`, { decision: 'approve' });
    assert.equal(stale.status, 403);
    assert.equal(stale.body.error.code, 'step_up_required');
    assert.match(stale.body.error.message, /sign in again/);
    const signedIn = now() - 30;
    const fresh = await stack.call(await person('Alice@Example.com', signedIn), 'POST', `/v1/actions/${action.id}/decisions`, { decision: 'approve', comment: 'checked the backup' });
    assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
    assert.equal(fresh.body.approvals.length, 1);
    assert.equal(fresh.body.approvals[0].principal, 'alice@example.com');
    assert.equal(fresh.body.approvals[0].authTime, new Date(signedIn * 1000).toISOString());
    const done = await stack.until('svc:etl-bot', action.id, (a) => a.status === 'approved');
    assert.equal(done.approvals.length, 1);
  });

  test('a person listed under another id is that principal when the issuer names them by e-mail: the requester cannot approve by signing in', async () => {
    const own = await stack.submit('gina', drop); // with gina's Interlock token
    await stack.until('gina', own.id, (a) => a.status === 'pending_approval');
    const self = await stack.call(await person('Gina@example.com', now()), 'POST', `/v1/actions/${own.id}/decisions`, { decision: 'approve' });
    assert.equal(self.status, 403, JSON.stringify(self.body));
    assert.equal(self.body.error.code, 'self_approval');
    const other = await stack.call(await person('hank@example.com', now()), 'POST', `/v1/actions/${own.id}/decisions`, { decision: 'approve' });
    assert.equal(other.status, 200, JSON.stringify(other.body));
    assert.equal(other.body.approvals[0].principal, 'hank', 'recorded as the listed principal, not as a second identity');
  });

  test('on a step-up rule a denial needs no fresh sign-in, and the requester cannot approve under another spelling', async () => {
    const own = await stack.call(await person('carol@example.com', now()), 'POST', '/v1/actions', drop);
    assert.equal(own.status, 202, JSON.stringify(own.body));
    await stack.until('erin@example.com', own.body.id, (a) => a.status === 'pending_approval');
    const self = await stack.call(await person('CAROL@example.com', now()), 'POST', `/v1/actions/${own.body.id}/decisions`, { decision: 'approve' });
    assert.equal(self.status, 403);
    assert.equal(self.body.error.code, 'self_approval');
    const denied = await stack.call('erin@example.com', 'POST', `/v1/actions/${own.body.id}/decisions`, { decision: 'deny', comment: 'not today' });
    assert.equal(denied.status, 200, JSON.stringify(denied.body));
    assert.equal(denied.body.status, 'denied');
  });
});
