import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import pg from 'pg';
import type { Execute } from '../../domain/action';
import { createExecutePostgres, type ExecutionPlan } from '../../executors';
import { freshDatabase } from '../support/database';
import { postgresTarget, staticTargets } from '../support/targets';
import { decision, suiteTestbed, withWorker, workflowInput, type Activities, type Recorded } from '../support/workflow-env';

const T = { timeout: 60_000 };
const ENV = `LEDGER_DB_URL_${process.pid}`;
const RECORD = { sql: 'insert into effects(note) values ($1)', params: ['text' as const] };
const bed = suiteTestbed();

describe('a retry after a lost result, through the workflow, against a real target database', () => {
  let targetDb: Awaited<ReturnType<typeof freshDatabase>>;
  let db: pg.Pool;
  before(async () => {
    targetDb = await freshDatabase();
    process.env[ENV] = targetDb.url!;
    db = new pg.Pool({ connectionString: targetDb.url, max: 1 });
    await db.query('create table effects(note text)');
  });
  after(async () => {
    await db?.end();
    await targetDb?.drop();
  });

  test('Temporal retries an attempt whose worker was lost after the commit; the retry finds the ledger row and does not run again', T, async () => {
    const targets = staticTargets([postgresTarget({ name: 'ledger-db', url: `\${env:${ENV}}`, statements: { record_effect: RECORD }, retry: { attempts: 3, maxIntervalSeconds: 1 } })]);
    const executePostgres = createExecutePostgres({ targets });
    // The real executor commits; then the attempt is lost before Temporal hears of it, as when a worker dies there.
    const lostAfterCommit = (r: Recorded): Partial<Activities> => ({
      runExecutor: async (input) => {
        r.executed.push(input);
        const result = await executePostgres(input as never);
        if (Context.current().info.attempt === 1) throw ApplicationFailure.retryable('the worker was lost after the commit, before it reported', 'WorkerLost');
        return result;
      },
    });
    const execute: Execute = { type: 'postgres', target: 'ledger-db', statement: 'record_effect', args: ['exactly-once'] };
    const plan: ExecutionPlan = { target: 'ledger-db', timeoutSeconds: 30, retry: { attempts: 3, maxIntervalSeconds: 1 }, statement: { name: 'record_effect', ...RECORD } };
    await withWorker(bed.env, lostAfterCommit, async (run) => {
      const input = { ...workflowInput({ execute, decision: decision({ outcome: 'allow' }) }), execution: plan };
      const final = await (await run.start(input)).result();
      assert.equal(final.status, 'succeeded', final.statusReason ?? '');
      assert.equal(run.executed.length, 2, 'the first attempt, then its retry');
      assert.deepEqual({ ...(final.result?.output as object), executedAt: undefined }, { rowCount: 1, rows: [], truncated: false, alreadyRan: true, executedAt: undefined });
      assert.deepEqual((await db.query('select note from effects')).rows, [{ note: 'exactly-once' }], 'one effect');
      assert.deepEqual((await db.query('select action_id, row_count from interlock_ledger')).rows, [{ action_id: input.id, row_count: 1 }], 'one ledger row');
    });
  });
});
