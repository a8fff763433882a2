import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import type { RecordStepInput } from '../../activities';
import type { Execute } from '../../domain/action';
import { decision, human, notifiedOf, suiteTestbed, vote, withWorker, workflowInput, type Activities, type Recorded } from '../support/workflow-env';

const alice = human('alice@example.com', ['data-owners']);
const httpExecute: Execute = { type: 'http', method: 'POST', url: 'https://ops.example.com/drop', body: { table: 'users' } };
const T = { timeout: 60_000 };

const bed = suiteTestbed();

/** The audit trail refuses (for good) the first step carrying an event of this type; every other step is written. */
const trailRefuses = (type: string) => (r: Recorded): Partial<Activities> => {
  let refusedOnce = false;
  return {
    recordStep: async (step: RecordStepInput) => {
      if (!refusedOnce && step.events.some((e) => e.type === type)) {
        refusedOnce = true;
        throw ApplicationFailure.nonRetryable(`the audit trail refused this step's data (${type})`, 'AuditDataRejected');
      }
      r.steps.push(step);
    },
  };
};

describe('fail closed', () => {
  test('an action whose submission cannot be recorded is denied, fail closed, and reported', T, async () => {
    await withWorker(bed.env, trailRefuses('action.submitted'), async (run) => {
      const h = await run.start(workflowInput());
      const final = await h.result();
      assert.equal(final.status, 'denied');
      assert.match(final.statusReason ?? '', /fail closed/);
      assert.equal(run.failClosed.length, 1);
      assert.deepEqual({ ...run.failClosed[0], reason: undefined }, { actionId: final.id, status: 'denied', activity: 'recordStep', reason: undefined });
      assert.ok(!run.eventTypes().includes('approval.requested'), 'nothing is asked of approvers');
    });
  });

  test('an approval the trail cannot record is no approval: denied, and the executor never runs', T, async () => {
    await withWorker(bed.env, trailRefuses('action.approved'), async (run) => {
      const h = await run.start(workflowInput({ execute: httpExecute }));
      await notifiedOf(run, 'requested');
      await vote(h, alice).catch(() => undefined); // the vote's own write failed; the workflow closes the action
      const final = await h.result();
      assert.equal(final.status, 'denied');
      assert.match(final.statusReason ?? '', /fail closed/);
      assert.equal(run.executed.length, 0);
      assert.deepEqual(final.approvals, [], 'a vote not in the trail is not counted');
      assert.equal(run.failClosed[0]?.status, 'denied');
    });
  });

  test('a successful execution the trail cannot record ends failed, fail closed', T, async () => {
    await withWorker(bed.env, trailRefuses('execution.succeeded'), async (run) => {
      const h = await run.start(workflowInput({ execute: httpExecute }));
      await notifiedOf(run, 'requested');
      await vote(h, alice);
      const final = await h.result();
      assert.equal(run.executed.length, 1);
      assert.equal(final.status, 'failed');
      assert.match(final.statusReason ?? '', /fail closed/);
      assert.equal(run.failClosed[0]?.status, 'failed');
    });
  });
});

describe('the http path', () => {
  test('an approved http action runs its executor exactly once, with the execute that was approved', T, async () => {
    await withWorker(bed.env, () => ({}), async (run) => {
      const input = workflowInput({ execute: httpExecute, decision: decision({ quorum: 1 }) });
      const h = await run.start(input);
      await notifiedOf(run, 'requested');
      await vote(h, alice);
      const final = await h.result();
      assert.equal(final.status, 'succeeded');
      assert.deepEqual(run.executed, [{ actionId: input.id, execute: httpExecute }]);
      assert.deepEqual(final.result, { status: 'succeeded', httpStatus: 200, output: 'ok' });
      assert.deepEqual(run.eventTypes().slice(-2), ['execution.started', 'execution.succeeded']);
    });
  });

  test('an executor failure with an HTTP status and output ends failed and keeps both in the result', T, async () => {
    const failing = (r: Recorded): Partial<Activities> => ({
      runExecutor: async (input) => {
        r.executed.push(input);
        throw ApplicationFailure.create({ type: 'HttpClientError', message: 'target answered 409', nonRetryable: true, details: [{ httpStatus: 409, output: 'conflict: table in use' }] });
      },
    });
    await withWorker(bed.env, failing, async (run) => {
      const h = await run.start(workflowInput({ execute: httpExecute, decision: decision({ outcome: 'allow' }) }));
      const final = await h.result();
      assert.equal(run.executed.length, 1, 'a non-retryable failure is not retried');
      assert.equal(final.status, 'failed');
      assert.equal(final.result?.httpStatus, 409);
      assert.equal(final.result?.output, 'conflict: table in use');
      assert.equal(final.result?.error, 'target answered 409');
      assert.ok(run.eventTypes().includes('execution.failed'));
    });
  });
});
