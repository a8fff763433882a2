// The shapes of targets.yaml once parsed: where an approved action may run, as the operators configured it.

/** Retries of one execution, capped per target (`retry: {attempts, max_interval}`). */
export interface RetrySchedule {
  /** Tries in all, the first included (1 = no retry). */
  attempts: number;
  maxIntervalSeconds: number;
}

interface TargetBase {
  /** The key under `targets:`; what a submission names as `execute.target`. */
  name: string;
  /** How long one try may take before it is abandoned (and retried, within `retry`). */
  timeoutSeconds: number;
  retry: RetrySchedule;
}

/**
 * An HTTP service. `url` is the base every call must lie under; it is a literal (never a `${...}` reference),
 * because submissions are checked against it. Header values may hold references, resolved only when sending.
 */
export interface HttpTarget extends TargetBase {
  type: 'http';
  url: string;
  /** Header name -> value template (`Bearer ${env:EXPORTER_TOKEN}`); resolved only inside the executing activity. */
  headers: Record<string, string>;
}

/** Postgres parameter types a named statement declares, one per `$n`; each argument is checked and bound as it. */
export type PgParamType = 'text' | 'int' | 'bigint' | 'numeric' | 'bool' | 'uuid' | 'timestamptz' | 'jsonb';

export interface PostgresStatement {
  sql: string;
  params: PgParamType[];
}

/** A Postgres database. `url` is usually a reference (`${env:BILLING_DATABASE_URL}`), resolved only when executing. */
export interface PostgresTarget extends TargetBase {
  type: 'postgres';
  url: string;
  statements: Record<string, PostgresStatement>;
}

export type Target = HttpTarget | PostgresTarget;

/** One loaded version of targets.yaml. */
export interface TargetSet {
  /** `sha256:` of the file's bytes (no secret is in the file: only references). */
  version: string;
  get(name: string): Target | undefined;
  all(): Target[];
}

/** Where executors and the submission checks read the current targets (hot reloaded). */
export interface TargetSource {
  current(): TargetSet;
}
