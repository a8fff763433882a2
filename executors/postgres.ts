import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import pg from 'pg';
import { Type, type Static } from 'typebox';
import { ErrorCode } from '../core/errors';
import type { ActionResult } from '../domain/action';
import { REDACTED, redactSecretParams } from '../domain/secret-params';
import type { PostgresStatement, PostgresTarget, TargetSource } from '../targets/types';
import { heartbeatWhile } from './heartbeat';
import { argProblems, bindArgs } from './postgres-args';
import { resolveRefs } from '../targets';
import type { ExecuteProblem, ExecutionPlan, Executor } from './types';

export const PostgresExecuteSchema = Type.Object(
  {
    type: Type.Literal('postgres'),
    target: Type.String({ minLength: 1, maxLength: 200 }),
    statement: Type.String({ minLength: 1, maxLength: 200 }),
    args: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 100 })),
  },
  { additionalProperties: false },
);
export type PostgresExecute = Static<typeof PostgresExecuteSchema>;

/** The ledger on every postgres target (contract): one row per action that committed there. */
export const LEDGER_DDL = 'create table if not exists interlock_ledger(action_id text primary key, executed_at timestamptz, row_count int)';

/** Result rows kept for the record: the first few, and never more than this many bytes of JSON. */
export const MAX_RESULT_ROWS = 20;
export const MAX_RESULT_BYTES = 16 * 1024;

/** One named statement of a configured postgres target, its arguments typed and bound, once per action. */
export const postgresExecutor: Executor<PostgresExecute> = {
  type: 'postgres',
  schema: PostgresExecuteSchema,
  normalise: (execute) => ({ ...execute, args: execute.args ?? [] }),
  check: (execute, { targets }) => executeProblems(execute, targets.get(execute.target)),
  describe: (execute) => {
    // The Action's view carries the statement's SQL as it was approved (`sql`); the bare submission does not.
    const sql = (execute as PostgresExecute & { sql?: string }).sql;
    const args = (execute.args ?? []).map((a, i) => `$${i + 1} = ${JSON.stringify(shownArg(a))}`).join('\n');
    return {
      summary: `statement ${execute.statement} on postgres target ${execute.target}`,
      fields: [...(sql ? [{ label: 'SQL', value: sql }] : []), { label: 'Arguments', value: args || '(none)' }],
    };
  },
  createActivity: ({ targets }) => createExecutePostgres({ targets }),
};

function executeProblems(execute: PostgresExecute, target: ReturnType<ReturnType<TargetSource['current']>['get']>): ExecuteProblem[] {
  if (!target || target.type !== 'postgres') {
    const message = target ? `target "${execute.target}" is an ${target.type} target, not postgres` : `"${execute.target}" is not a target in targets.yaml`;
    return [{ field: 'execute.target', ruleId: null, message, code: ErrorCode.targetNotAllowed }];
  }
  const statement = statementOf(target, execute.statement);
  if (!statement) {
    const known = Object.keys(target.statements).join(', ') || 'none';
    return [{ field: 'execute.statement', ruleId: null, message: `target "${target.name}" has no statement "${execute.statement}" (its statements: ${known})`, code: ErrorCode.unprocessable }];
  }
  return argProblems(execute.args ?? [], statement.params, execute.statement).map((p) => ({ ...p, ruleId: null, code: ErrorCode.unprocessable }));
}

function statementOf(target: PostgresTarget, name: string): PostgresStatement | undefined {
  return Object.hasOwn(target.statements, name) ? target.statements[name] : undefined;
}

/** Strings in a credential's shape (auth schemes, well-known token prefixes, JWTs, URLs with a password) are not shown. */
const SECRET_VALUE = /^\s*(bearer|basic|token)\s|^(sk|pk|rk)[-_]|^(ghp|gho|ghs|github_pat|xox[abpr])[-_]|^AKIA[0-9A-Z]{12}|^eyJ[\w-]+\.[\w-]+\.|:\/\/[^/\s:@]*:[^/\s@]+@/i;

function shownArg(a: unknown): unknown {
  if (typeof a === 'string') return SECRET_VALUE.test(a) ? REDACTED : a;
  return redactSecretParams(a);
}

export interface PostgresExecutorDeps {
  targets: TargetSource;
}

/**
 * Runs an approved action's named statement in one transaction that first inserts the action id into the
 * target's `interlock_ledger`: the statement and its ledger row commit together or not at all, so a retry
 * after a lost result finds the row and answers with the recorded row count instead of running again.
 * Arguments are bound parameters; the target's connection string is resolved here and never leaves.
 */
export function createExecutePostgres({ targets }: PostgresExecutorDeps) {
  return async function executePostgres({ actionId, execute, plan }: { actionId: string; execute: PostgresExecute; plan?: ExecutionPlan }): Promise<ActionResult> {
    const target = targets.current().get(execute.target);
    if (!target || target.type !== 'postgres') throw ApplicationFailure.nonRetryable(`"${execute.target}" is no longer a postgres target in targets.yaml; not run`, 'TargetNotAllowed');
    const statement = statementOf(target, execute.statement);
    if (!statement) throw ApplicationFailure.nonRetryable(`target "${target.name}" no longer has statement "${execute.statement}"; not run`, 'TargetNotAllowed');
    const approved = plan?.statement;
    if (approved && (approved.sql !== statement.sql || approved.params.join() !== statement.params.join())) {
      throw ApplicationFailure.nonRetryable(`statement "${execute.statement}" of target "${target.name}" was changed in targets.yaml after it was approved; not run (submit again to approve the new SQL)`, 'StatementChanged');
    }
    const args = execute.args ?? [];
    const problems = argProblems(args, statement.params, execute.statement);
    if (problems.length > 0) throw ApplicationFailure.nonRetryable(problems.map((p) => `${p.field}: ${p.message}`).join('; '), 'ExecutorMisconfigured');

    let url: { value: string; secrets: string[] };
    try {
      url = await resolveRefs(target.url);
    } catch (err) {
      throw ApplicationFailure.nonRetryable(`target "${target.name}": its url ${(err as Error).message}`, 'ExecutorMisconfigured');
    }
    const scrub = scrubber([url.value, ...url.secrets]);
    const timeoutMs = (plan?.timeoutSeconds ?? target.timeoutSeconds) * 1000;
    // One deadline for the whole try, as the target's `timeout` promises: the connection, the ledger's statements
    // and the statement itself share it (the statement gets what the connection left, see runOnce).
    const deadline = Date.now() + timeoutMs;
    const settings = { connectionString: url.value, statement_timeout: timeoutMs, connectionTimeoutMillis: Math.min(timeoutMs, 10_000), application_name: `interlock ${actionId}`.slice(0, 63) };
    const client = new pg.Client(settings);
    client.on('error', () => undefined); // a socket dropped after the last answer: the query itself already said so
    try {
      await heartbeatWhile(client.connect());
      await ensureLedger(client);
      return await heartbeatWhile(runOnce(client, { actionId, sql: statement.sql, values: bindArgs(args, statement.params), cancelVia: settings, deadline }));
    } catch (err) {
      if (err instanceof CancelledFailure || err instanceof ApplicationFailure) throw err;
      throw failureOf(err, { statement: execute.statement, timeoutMs, scrub });
    } finally {
      await client.end().catch(() => undefined);
    }
  };
}

async function ensureLedger(client: pg.Client): Promise<void> {
  try {
    await client.query(LEDGER_DDL);
  } catch (err) {
    // Two first runs at once: the loser of `if not exists` trips on the catalog's unique index; the table is there.
    if ((err as { code?: string }).code !== '23505' && (err as { code?: string }).code !== '42P07') throw err;
  }
}

async function runOnce(client: pg.Client, run: { actionId: string; sql: string; values: unknown[]; cancelVia: pg.ClientConfig; deadline: number }): Promise<ActionResult> {
  const signal = Context.current().cancellationSignal;
  if (signal.aborted) throw cancelled();
  await client.query('begin');
  // A cancel while anything runs in the transaction cancels the backend: the statement stops and nothing commits.
  const cancelBackend = () => void cancelBackendOf(client, run.cancelVia);
  signal.addEventListener('abort', cancelBackend, { once: true });
  try {
    const ledger = await client.query('insert into interlock_ledger(action_id, executed_at) values ($1, now()) on conflict (action_id) do nothing', [run.actionId]);
    if (ledger.rowCount === 0) {
      await client.query('rollback');
      const { rows } = await client.query('select row_count, executed_at from interlock_ledger where action_id = $1', [run.actionId]);
      return { status: 'succeeded', output: { rowCount: rows[0]?.row_count ?? null, rows: [], truncated: false, alreadyRan: true, executedAt: rows[0]?.executed_at ?? null } };
    }
    // The statement may run for what is left of the try's deadline (at least 1 ms: 0 would turn the timeout off).
    await client.query(`set local statement_timeout = ${Math.max(1, Math.floor(run.deadline - Date.now()))}`);
    const result = await client.query({ text: run.sql, values: run.values });
    const rowCount = result.rowCount ?? result.rows.length;
    await client.query('update interlock_ledger set row_count = $2 where action_id = $1', [run.actionId, rowCount]);
    signal.removeEventListener('abort', cancelBackend);
    // From here the commit is not interrupted: a cancel that arrives later finds the operation done (and says so).
    if (signal.aborted) throw cancelled();
    await client.query('commit');
    return { status: 'succeeded', output: { rowCount, ...boundedRows(result.rows), alreadyRan: false } };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    if (signal.aborted) throw cancelled();
    throw err;
  } finally {
    signal.removeEventListener('abort', cancelBackend);
  }
}

/** What the workflow records of a cancel that reached the statement: it was stopped and rolled back, no ledger row. */
function cancelled(): CancelledFailure {
  const message = 'the statement was stopped (backend cancelled) and its transaction rolled back: no ledger row, no effect';
  return new CancelledFailure(message, [{ message, executor: 'postgres', backendCancelled: true, rolledBack: true, ledgerRow: false }]);
}

/** `pg_cancel_backend` from a second connection (the first is busy with the statement); best effort, the rollback follows. */
async function cancelBackendOf(busy: pg.Client, settings: pg.ClientConfig): Promise<void> {
  const pid = (busy as unknown as { processID: number | null }).processID;
  if (!pid) return;
  const canceller = new pg.Client({ ...settings, statement_timeout: 5000 });
  canceller.on('error', () => undefined);
  try {
    await canceller.connect();
    await canceller.query('select pg_cancel_backend($1)', [pid]);
  } catch {
    /* the statement runs to its timeout at worst, and its result is then ignored */
  } finally {
    await canceller.end().catch(() => undefined);
  }
}

function boundedRows(rows: unknown[]): { rows: unknown[]; truncated: boolean } {
  const kept: unknown[] = [];
  let bytes = 2;
  for (const row of rows.slice(0, MAX_RESULT_ROWS)) {
    const plain = redactSecretParams(JSON.parse(JSON.stringify(row)));
    bytes += Buffer.byteLength(JSON.stringify(plain)) + 1;
    if (bytes > MAX_RESULT_BYTES) break;
    kept.push(plain);
  }
  return { rows: kept, truncated: kept.length < rows.length };
}

/** SQLSTATE classes a retry can cure: connection trouble, too many connections, a server shutting down, a lost race. */
const RETRYABLE_SQLSTATE = /^(08|53|57P0[1-3]|40001|40P01)/;
/** The connection string is wrong (no such database, refused credentials): retrying will not help. */
const MISCONFIGURED_SQLSTATE = /^(28|3D000)/;

function failureOf(err: unknown, ctx: { statement: string; timeoutMs: number; scrub: (s: string) => string }): ApplicationFailure {
  const e = err as { code?: string; message?: string };
  const message = ctx.scrub(e.message ?? String(err));
  const code = e.code ?? '';
  if (code === '57014') return ApplicationFailure.retryable(`statement "${ctx.statement}" ran longer than the target's timeout (${ctx.timeoutMs / 1000} s, the try's connection included) and was rolled back`, 'StatementTimeout');
  if (/^[0-9A-Z]{5}$/.test(code) && !RETRYABLE_SQLSTATE.test(code)) {
    if (MISCONFIGURED_SQLSTATE.test(code)) return ApplicationFailure.nonRetryable(`cannot use the target database: ${message} (SQLSTATE ${code})`, 'ExecutorMisconfigured');
    return ApplicationFailure.create({ type: 'SqlError', nonRetryable: true, message: `statement "${ctx.statement}" failed: ${message} (SQLSTATE ${code}); rolled back`, details: [{ output: { sqlState: code } }] });
  }
  // Refused, reset, timed out, terminated: the database may be back on the next try.
  return ApplicationFailure.retryable(`the target database is unreachable: ${message}`, 'TargetUnavailable');
}

/** Removes every resolved secret (the connection string, its password) from a message before it is recorded anywhere. */
function scrubber(secrets: string[]): (s: string) => string {
  const parts = secrets.flatMap((s) => {
    try {
      const u = new URL(s);
      return [s, decodeURIComponent(u.password), u.password].filter((p) => p.length >= 4);
    } catch {
      return [s];
    }
  });
  return (text) => parts.reduce((t, p) => t.split(p).join(REDACTED), text);
}
