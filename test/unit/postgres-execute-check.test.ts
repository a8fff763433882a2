import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode } from '../../core';
import { executionPlan, postgresExecutor, type PostgresExecute } from '../../executors';
import { parseAllowList } from '../../network';
import { postgresTarget, staticTargets } from '../support/targets';

const targets = staticTargets([
  postgresTarget({ name: 'billing-db', url: '${env:BILLING_DATABASE_URL}', timeoutSeconds: 20, retry: { attempts: 4, maxIntervalSeconds: 9 }, statements: { refund_invoice: { sql: "update invoices set status = 'refunded' where id = $1", params: ['text'] }, everything: { sql: 'select $1, $2, $3, $4, $5, $6, $7, $8', params: ['text', 'int', 'bigint', 'numeric', 'bool', 'uuid', 'timestamptz', 'jsonb'] } } }),
]).current();
const config = { httpAllowPrivate: parseAllowList(undefined) };
const check = (execute: Omit<PostgresExecute, 'type'>) => postgresExecutor.check({ type: 'postgres', ...execute }, { config, targets });
const fields = (execute: Omit<PostgresExecute, 'type'>) => check(execute).map((p) => p.field);
const all = ['text', 7, 7, '7.5', true, '6f1c2d1e-8a2b-4c3d-9e4f-0a1b2c3d4e5f', '2026-11-30T12:00:00.123+05:30', [1, { a: 2 }]];

describe('a postgres execute is checked against its target before anything starts', () => {
  test('a known target, statement and well-typed arguments pass', () => {
    assert.deepEqual(check({ target: 'billing-db', statement: 'everything', args: all }), []);
    assert.deepEqual(check({ target: 'billing-db', statement: 'everything', args: [...all.slice(0, 2), '-9223372036854775808', -1e3, false, all[5], '2026-01-01T00:00Z', null] }), []);
  });

  test('an unknown target is target_not_allowed naming execute.target; an unknown statement names execute.statement', () => {
    assert.deepEqual(check({ target: 'prod', statement: 'refund_invoice', args: ['x'] }).map((p) => [p.field, p.code]), [['execute.target', ErrorCode.targetNotAllowed]]);
    assert.deepEqual(fields({ target: 'billing-db', statement: 'toString', args: [] }), ['execute.statement']);
  });

  test('each argument of the wrong type is named by its index', () => {
    const bad: unknown[] = [null, 2 ** 31, 2 ** 63, 'one', 'yes', 'abc', '2026-11-31T00:00:00Z', {}];
    assert.deepEqual(fields({ target: 'billing-db', statement: 'everything', args: bad }), [0, 1, 2, 3, 4, 5, 6].map((i) => `execute.args[${i}]`));
    assert.deepEqual(fields({ target: 'billing-db', statement: 'everything', args: [...all.slice(0, 6), '2026-11-30T12:00:00', 1] }), ['execute.args[6]'], 'a timestamp without a zone is refused');
    assert.deepEqual(fields({ target: 'billing-db', statement: 'refund_invoice', args: [] }), ['execute.args']);
  });

  test('the plan carries the target timeout, its retry schedule and the SQL approvers see; gate mode has none', () => {
    const execute = { type: 'postgres' as const, target: 'billing-db', statement: 'refund_invoice', args: ['inv_1'] };
    assert.deepEqual(executionPlan(execute, targets), { target: 'billing-db', timeoutSeconds: 20, retry: { attempts: 4, maxIntervalSeconds: 9 }, statement: { name: 'refund_invoice', sql: "update invoices set status = 'refunded' where id = $1", params: ['text'] } });
    assert.equal(executionPlan({ type: 'none' }, targets), null);
    assert.deepEqual(executionPlan({ type: 'http', url: 'https://example.com/x', timeoutSeconds: 5 }, targets), { target: null, timeoutSeconds: 5, retry: { attempts: 6, maxIntervalSeconds: 30 } });
  });

  test('describe shows target, statement, the approved SQL and the arguments, credential-shaped ones redacted', () => {
    const shown = postgresExecutor.describe({ type: 'postgres', target: 'billing-db', statement: 'refund_invoice', args: ['inv_1', 'Bearer abc.def', 'postgres://u:hunter22@db/x', { password: 'p', note: 'n' }], sql: 'update ...' } as PostgresExecute);
    assert.equal(shown.summary, 'statement refund_invoice on postgres target billing-db');
    assert.deepEqual(shown.fields, [
      { label: 'SQL', value: 'update ...' },
      { label: 'Arguments', value: '$1 = "inv_1"\n$2 = "[redacted]"\n$3 = "[redacted]"\n$4 = {"password":"[redacted]","note":"n"}' },
    ]);
  });
});
