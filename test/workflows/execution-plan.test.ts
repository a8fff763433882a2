import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Context } from '@temporalio/activity';
import { WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
type ActivityInfo = ReturnType<typeof Context.current>['info'];
import type { Execute } from '../../domain/action';
import type { ExecutionPlan } from '../../executors';
import { cancelUpdate, Refusal } from '../../workflows/messages';
import { decision, gate, human, notifiedOf, refused, requester, suiteTestbed, vote, withWorker, workflowInput, type Activities, type Recorded } from '../support/workflow-env';

const alice = human('alice@example.com', ['data-owners']);
const T = { timeout: 60_000 };
const bed = suiteTestbed();

const execute: Execute = { type: 'postgres', target: 'billing-db', statement: 'refund_invoice', args: ['inv_42'] };
const plan: ExecutionPlan = { target: 'billing-db', timeoutSeconds: 45, retry: { attempts: 3, maxIntervalSeconds: 7 }, statement: { name: 'refund_invoice', sql: "update invoices set status = 'refunded' where id = $1", params: ['text'] } };
const planned = (over: Partial<ExecutionPlan> = {}) => ({ ...workflowInput({ execute, decision: decision({ outcome: 'allow' }) }), execution: { ...plan, ...over } });

const cancel = (h: WorkflowHandle, principal: string, isAdmin = false, reason?: string) => h.executeUpdate(cancelUpdate, { args: [{ principal, isAdmin, reason }] });
/** A cancel the workflow has accepted (its validator passed); its answer comes once the execution has stopped. */
const accepted = (h: WorkflowHandle, principal: string, isAdmin = false) => h.startUpdate(cancelUpdate, { args: [{ principal, isAdmin }], waitForStage: WorkflowUpdateStage.ACCEPTED });

/** The retry policy the workflow scheduled its executor activity with, as the history records it. */
async function retryOf(h: WorkflowHandle): Promise<{ maximumAttempts: number; maximumIntervalSeconds: number }> {
  const { events } = await h.fetchHistory();
  const scheduled = events!.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runExecutor')!.activityTaskScheduledEventAttributes!;
  return { maximumAttempts: scheduled.retryPolicy!.maximumAttempts!, maximumIntervalSeconds: Number(scheduled.retryPolicy!.maximumInterval!.seconds) };
}

/** An executor that heartbeats until it is cancelled, then reports what it stopped (as the real ones do). */
const stoppable = (r: Recorded, started: () => void): Partial<Activities> => ({
  runExecutor: async (input) => {
    r.executed.push(input);
    started();
    for (;;) {
      Context.current().heartbeat();
      try {
        await Context.current().sleep(100);
      } catch (err) {
        const message = 'the statement was stopped and rolled back';
        if (err instanceof CancelledFailure) throw new CancelledFailure(message, [{ message, executor: 'postgres', rolledBack: true }]);
        throw err;
      }
    }
  },
});

describe('the execution plan', () => {
  test('the executor runs with the target timeout, a short heartbeat timeout and the target retry schedule', T, async () => {
    let info: ActivityInfo | undefined;
    await withWorker(bed.env, (r) => ({ runExecutor: async (input) => (r.executed.push(input), (info = Context.current().info), { status: 'succeeded', output: { rowCount: 1 } }) }), async (run) => {
      const input = planned();
      const h = await run.start(input);
      const final = await h.result();
      assert.equal(final.status, 'succeeded');
      assert.equal(info?.startToCloseTimeoutMs, 55_000, 'the target timeout and a 10 s margin for connecting');
      assert.equal(info?.heartbeatTimeoutMs, 10_000);
      assert.deepEqual(await retryOf(h), { maximumAttempts: 3, maximumIntervalSeconds: 7 });
      assert.deepEqual(run.executed, [{ actionId: input.id, execute, plan: input.execution }], 'the executor gets what was approved, plan included');
      assert.deepEqual(run.events().find((e) => e.type === 'execution.started')?.data.plan, input.execution);
      assert.equal(final.execute.sql, plan.statement!.sql, 'the Action shows the SQL that was approved');
    });
  });

  test("the target's attempts bound the retries: three tries, then failed", T, async () => {
    const failing = (r: Recorded): Partial<Activities> => ({
      runExecutor: async (input) => {
        r.executed.push(input);
        throw ApplicationFailure.retryable('connect ECONNREFUSED 127.0.0.1:1', 'TargetUnavailable');
      },
    });
    await withWorker(bed.env, failing, async (run) => {
      const final = await (await run.start(planned({ retry: { attempts: 3, maxIntervalSeconds: 1 } }))).result();
      assert.equal(run.executed.length, 3);
      assert.equal(final.status, 'failed');
      assert.match(final.result?.error ?? '', /ECONNREFUSED/);
    });
  });

  test('an action submitted before plans (no plan in its input) keeps the options it always had', T, async () => {
    let info: ActivityInfo | undefined;
    const http: Execute = { type: 'http', method: 'POST', url: 'https://ops.example.com/drop' };
    await withWorker(bed.env, (r) => ({ runExecutor: async (input) => (r.executed.push(input), (info = Context.current().info), { status: 'succeeded', httpStatus: 200 }) }), async (run) => {
      const h = await run.start(workflowInput({ execute: http, decision: decision({ outcome: 'allow' }) }));
      const final = await h.result();
      assert.equal(final.status, 'succeeded');
      assert.equal(info?.startToCloseTimeoutMs, 600_000);
      assert.ok(!info?.heartbeatTimeoutMs, 'no heartbeat timeout');
      assert.deepEqual(await retryOf(h), { maximumAttempts: 6, maximumIntervalSeconds: 30 });
      assert.deepEqual(run.executed[0], { actionId: run.executed[0].actionId, execute: http }, 'no plan passed');
    });
  });
});

describe('cancel while executing', () => {
  test('the requester cancels a running statement: the executor is told, reports a rollback, and the action ends cancelled', T, async () => {
    const running = gate();
    await withWorker(bed.env, (r) => stoppable(r, running.release), async (run) => {
      const h = await run.start(planned());
      await running.wait;
      const answer = await cancel(h, requester.id, false, 'wrong invoice');
      assert.equal(answer.status, 'cancelled');
      assert.match(answer.statusReason ?? '', new RegExp(`^cancelled by ${requester.id} while executing: wrong invoice; the statement was stopped and rolled back$`));
      const final = await h.result();
      assert.equal(final.status, 'cancelled');
      assert.equal(final.result, null);
      const event = run.events().find((e) => e.type === 'action.cancelled');
      assert.equal(event?.actor, requester.id);
      assert.deepEqual(event?.data, { reason: 'wrong invoice', duringExecution: true, executor: 'postgres', executorReported: { message: 'the statement was stopped and rolled back', executor: 'postgres', rolledBack: true } });
      assert.ok(!run.eventTypes().includes('execution.succeeded') && !run.eventTypes().includes('execution.failed'));
      assert.equal(run.executed.length, 1, 'a cancelled attempt is not retried');
    });
  });

  test('an admin may cancel while executing, a second cancel meanwhile is refused, and nobody else may', T, async () => {
    const running = gate();
    await withWorker(bed.env, (r) => stoppable(r, running.release), async (run) => {
      const h = await run.start(planned());
      await running.wait;
      await refused(cancel(h, alice.id), Refusal.notAllowed);
      const first = await accepted(h, 'admin@example.com', true);
      await refused(cancel(h, requester.id), Refusal.actionClosed);
      assert.equal((await first.result()).status, 'cancelled');
      assert.equal(run.events().find((e) => e.type === 'action.cancelled')?.actor, 'admin@example.com');
    });
  });

  test('an operation that finishes before the cancel reaches it ends succeeded, and the reason says the cancel came too late', T, async () => {
    const running = gate();
    const finishes = (r: Recorded): Partial<Activities> => ({
      runExecutor: async (input) => {
        r.executed.push(input);
        running.release();
        // The commit is past the point a cancel can stop: it waits for the cancel, then answers with its result.
        const signal = Context.current().cancellationSignal;
        while (!signal.aborted) {
          Context.current().heartbeat();
          await new Promise((res) => setTimeout(res, 50));
        }
        return { status: 'succeeded', output: { rowCount: 1 } };
      },
    });
    await withWorker(bed.env, finishes, async (run) => {
      const h = await run.start(planned());
      await running.wait;
      const answer = await cancel(h, requester.id);
      assert.equal(answer.status, 'succeeded');
      assert.equal(answer.statusReason, `cancel requested by ${requester.id} arrived after the operation had succeeded`);
      const done = run.events().find((e) => e.type === 'execution.succeeded');
      assert.equal((done?.data.cancelRequested as { principal: string }).principal, requester.id);
      assert.ok(!run.eventTypes().includes('action.cancelled'));
    });
  });

  test('an approved action cancelled while execution.started is written never starts its executor', T, async () => {
    const writing = gate();
    const startedWriting = gate();
    const slowStart = (r: Recorded): Partial<Activities> => ({
      recordStep: async (step) => {
        if (step.events.some((e) => e.type === 'execution.started')) {
          startedWriting.release();
          await writing.wait;
        }
        r.steps.push(step);
      },
    });
    await withWorker(bed.env, slowStart, async (run) => {
      const h = await run.start({ ...planned(), decision: decision({ quorum: 1 }) });
      await notifiedOf(run, 'requested');
      await vote(h, alice);
      await startedWriting.wait;
      const answer = await accepted(h, requester.id);
      writing.release();
      assert.equal((await answer.result()).status, 'cancelled');
      assert.equal(run.executed.length, 0);
      assert.match((await h.result()).statusReason ?? '', /the executor had not started/);
    });
  });
});
