import type { TSchema } from 'typebox';
import type { Config } from '../config';
import type { Db } from '../db';
import type { ActionResult } from '../domain/action';
import type { Resolve } from '../network';
import type { ErrorCode } from '../core/errors';
import type { RetrySchedule, TargetSet, TargetSource } from '../targets/types';

/** One reason an executor would not run a submission's `execute` as given; refuses the submission with 422 and `code`. */
export interface ExecuteProblem {
  field: string;
  ruleId: null;
  message: string;
  code: ErrorCode;
}

/** What an executor's activity may use; the worker passes the real ones. */
export interface ExecutorDeps {
  db: Db;
  config: Pick<Config, 'webhookSecret' | 'httpAllowPrivate'>;
  /** Host name resolution; the system resolver unless a test resolves names as a hostile DNS would. */
  resolve?: Resolve;
  /** The operators' targets as they stand when the activity runs (hot reloaded). */
  targets: TargetSource;
}

/**
 * How the workflow runs one execution, fixed at submission from the target (no secret in it): the activity's
 * timeout and retry schedule, and for a named statement the SQL approvers saw, so a later edit of targets.yaml
 * cannot change what an approval runs.
 */
export interface ExecutionPlan {
  target: string | null;
  timeoutSeconds: number;
  retry: RetrySchedule;
  statement?: { name: string; sql: string; params: string[] };
}

/** How an approved action's `execute` object is run, checked and shown: one per `execute.type`. */
export interface Executor<E extends { type: string } = { type: string }> {
  readonly type: E['type'];
  /** TypeBox schema of the submission's `execute` object for this type (additionalProperties: false). */
  readonly schema: TSchema;
  /** Defaults applied; the result is what the Action shows and what is hashed. */
  normalise(execute: E): E;
  /** Meaning checks at submission (address guard, header rules): problems naming the field -> 422. */
  check(execute: E, ctx: { config: Pick<Config, 'httpAllowPrivate'>; targets: TargetSet }): ExecuteProblem[];
  /**
   * For people (Slack, Teams, console): one line (what and where) and labelled details, each value ready to show
   * as it is (secrets already redacted), so approvers see exactly what will run without a channel knowing the executor.
   */
  describe(execute: E): { summary: string; fields: { label: string; value: string }[] };
  /** The activity that runs it; throws ApplicationFailure (retryable or not) with details {httpStatus?, output?}. */
  createActivity(deps: ExecutorDeps): (input: { actionId: string; execute: E; plan?: ExecutionPlan }) => Promise<ActionResult>;
}

/** The `execute` object type an executor takes. */
export type ExecuteOf<X> = X extends Executor<infer E> ? E : never;
