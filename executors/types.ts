import type { TSchema } from 'typebox';
import type { Config } from '../config';
import type { Db } from '../db';
import type { ActionResult } from '../domain/action';
import type { Resolve } from '../network';
import type { ErrorCode } from '../core/errors';
import type { ReferenceSources, RetrySchedule, TargetSet, TargetSource } from '../targets';

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
  /** targets.yaml in force when the activity runs (hot reloaded): where it may send, with which credentials. */
  targets: TargetSource;
  /** Where `${env:...}` and `${file:...}` references are read; the worker's environment and files when absent. */
  references?: ReferenceSources;
}

/** Where a submission runs, as the API works it out at submission: the Action and CEL (`execute.target`) show it. */
export interface ExecuteLocation {
  /** The target's name in targets.yaml. */
  target: string;
  /** http: the full URL that is sent. */
  url?: string;
  /** http: the names (never the values) of the headers the target adds. */
  setByTarget?: string[];
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
  /** Meaning checks at submission (target, address guard, header rules) against the targets in force: problems naming the field -> 422. */
  check(execute: E, ctx: { config: Pick<Config, 'httpAllowPrivate'>; targets: TargetSet }): ExecuteProblem[];
  /** The target a submission that passed `check` runs against; absent for executors without targets (gate mode). */
  locate?(execute: E, targets: TargetSet): ExecuteLocation | null;
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
