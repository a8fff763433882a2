import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ActionCancelled, ActionDenied, ActionExpired, Interlock, InterlockApiError, type Action } from 'interlock/client';
import { startStack, type TestStack } from '../support/stack';

const POLICY = `version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - id: refunds
    when: action == "billing.refund"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 1}
  - id: quick-expiry
    when: action == "billing.slow"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 1}
    timeout: 2s
  - id: no-wipes
    when: action == "billing.wipe"
    decision: deny
`;
const BOT = 'svc:etl-bot';

describe('interlock/client', () => {
  let stack: TestStack;
  let bot: Interlock;
  let alice: Interlock;

  /** Waits until the bot's newest action of this kind is pending, as an approver would see it arrive. */
  async function pending(action: string, invoice: string): Promise<Action> {
    const end = Date.now() + 20_000;
    while (Date.now() < end) {
      const list = await stack.call(BOT, 'GET', `/v1/actions?action=${action}&status=pending_approval`);
      const found = list.body.items.find((a: Action) => a.params.invoice === invoice);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no pending ${action} for ${invoice}`);
  }

  before(async () => {
    stack = await startStack({ policy: POLICY });
    bot = new Interlock({ url: stack.url, token: stack.tokens[BOT] });
    alice = new Interlock({ url: stack.url, token: stack.tokens['alice@example.com'] });
  });
  after(() => stack?.stop());

  test('guard runs the function once, only after approval, with the grant redeemed, and reports its value as the result', async () => {
    let runs = 0;
    const seen: string[] = [];
    const guarded = bot.guard({ action: 'billing.refund', resource: 'invoice://42', params: { invoice: 'inv_42' } }, async (action) => {
      runs++;
      assert.equal(action.status, 'executing', 'the grant is redeemed before the function runs');
      return { refunded: 'inv_42' };
    }, { onProgress: (a) => seen.push(a.status) });
    const open = await pending('billing.refund', 'inv_42');
    // The vote comes once the guard has reported the pending approval (it looks every 100 ms while evaluating),
    // so the test does not race the client's poll.
    for (const end = Date.now() + 20_000; !seen.includes('pending_approval') && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    assert.equal(runs, 0);
    await assert.rejects(bot.decide(open.id, 'approve'), (err: unknown) => err instanceof InterlockApiError && err.status === 403, 'the requester cannot approve');
    await alice.decide(open.id, 'approve', 'fine');
    assert.deepEqual(await guarded, { refunded: 'inv_42' });
    assert.equal(runs, 1);
    assert.ok(seen.includes('pending_approval'), `onProgress saw ${seen}`);
    const done = await bot.get(open.id);
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.result?.output, { refunded: 'inv_42' });
  });

  test('guard throws ActionDenied when the policy or an approver says no, and the function never runs', async () => {
    let runs = 0;
    await assert.rejects(bot.guard({ action: 'billing.wipe', resource: 'invoice://*', params: { invoice: 'all' } }, () => runs++), (err: unknown) => err instanceof ActionDenied && /no-wipes/.test(err.message));
    const denied = assert.rejects(bot.guard({ action: 'billing.refund', resource: 'invoice://43', params: { invoice: 'inv_43' } }, () => runs++), (err: unknown) => err instanceof ActionDenied && /not this one|denied/.test(err.message));
    const open = await pending('billing.refund', 'inv_43');
    await alice.decide(open.id, 'deny', 'not this one');
    await denied;
    assert.equal(runs, 0);
  });

  test('guard throws ActionExpired without a quorum in time, and ActionCancelled when the action is cancelled', async () => {
    let runs = 0;
    await assert.rejects(bot.guard({ action: 'billing.slow', resource: 'invoice://44', params: { invoice: 'inv_44' } }, () => runs++), (err: unknown) => err instanceof ActionExpired);
    const cancelled = assert.rejects(bot.guard({ action: 'billing.refund', resource: 'invoice://45', params: { invoice: 'inv_45' } }, () => runs++), (err: unknown) => err instanceof ActionCancelled && err.action.params.invoice === 'inv_45');
    const open = await pending('billing.refund', 'inv_45');
    await bot.request('POST', `/v1/actions/${open.id}/cancel`, { reason: 'changed my mind' });
    await cancelled;
    assert.equal(runs, 0);
  });

  test('a function that throws is reported as failed and its error is rethrown', async () => {
    const rethrown = assert.rejects(bot.guard({ action: 'billing.refund', resource: 'invoice://46', params: { invoice: 'inv_46' } }, () => {
      throw new Error('the payment provider said no');
    }), /payment provider said no/);
    const open = await pending('billing.refund', 'inv_46');
    await alice.decide(open.id, 'approve');
    await rethrown;
    const failed = await bot.wait(open.id, { timeout: 10 });
    assert.equal(failed.status, 'failed');
    assert.deepEqual(failed.result?.output, { error: 'the payment provider said no' });
  });

  test('submit with an idempotency key returns the same action; refusals carry the contract code', async () => {
    const a = await bot.submit({ action: 'billing.refund', resource: 'invoice://47', params: { invoice: 'inv_47' } }, { idempotencyKey: 'refund-47' });
    const b = await bot.submit({ action: 'billing.refund', resource: 'invoice://47', params: { invoice: 'inv_47' } }, { idempotencyKey: 'refund-47' });
    assert.equal(a.id, b.id);
    await assert.rejects(bot.get('act_00000000000000000000000000'), (err: unknown) => err instanceof InterlockApiError && err.code === 'not_found' && err.status === 404);
  });
});
