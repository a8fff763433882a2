import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ActionCore, ErrorCode, InterlockError, type CoreServices } from '../../core';
import type { Principal } from '../../domain/principal';
import { createMetrics } from '../../observability';

// core.decide over a Temporal client that answers the Update itself: the refusal's typed code and the one vote count.
const voter: Principal = { id: 'alice@example.com', kind: 'human', groups: ['data-owners'] } as Principal;

function coreAnswering(update: () => Promise<unknown>) {
  const metrics = createMetrics();
  const temporal = { withDeadline: (_at: number, fn: () => Promise<unknown>) => fn(), workflow: { getHandle: () => ({ executeUpdate: update }) } } as unknown as Client;
  return { core: new ActionCore({ metrics } as unknown as CoreServices, temporal), metrics };
}

const votes = async (metrics: ReturnType<typeof createMetrics>) => (await metrics.votes.get()).values.map((v) => `${v.labels.via}/${v.labels.result}=${v.value}`).sort();

test('an accepted vote is counted once, under its door', async () => {
  const { core, metrics } = coreAnswering(async () => ({ id: 'act_1' }));
  await core.decide(voter, 'act_1', 'approve', null, 'slack');
  assert.deepEqual(await votes(metrics), ['slack/accepted=1']);
});

test("a refused vote is an InterlockError with the workflow's refusal as its code, counted as refused", async () => {
  const { core, metrics } = coreAnswering(async () => {
    throw new WorkflowUpdateFailedError('refused', ApplicationFailure.create({ type: 'AlreadyVoted', message: 'alice@example.com already voted', nonRetryable: true }));
  });
  const err = await core.decide(voter, 'act_1', 'approve', null, 'api').then(() => null, (e: unknown) => e);
  assert.ok(err instanceof InterlockError, `got ${String(err)}`);
  assert.equal(err.code, ErrorCode.alreadyVoted);
  assert.equal(err.message, 'alice@example.com already voted');
  assert.deepEqual(await votes(metrics), ['api/refused=1']);
});
