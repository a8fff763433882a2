// How an approved action runs: one executor per `execute.type` (none: gate mode; http: one signed call; postgres: one named statement), one registry.
export { EXECUTORS, ExecuteSchema, ExecuteTypeSchema, executorFor, type Execute } from './registry';
export { httpExecutor, HttpExecuteSchema, MAX_OUTPUT_BYTES, type HttpExecute } from './http';
export { postgresExecutor, PostgresExecuteSchema, createExecutePostgres, LEDGER_DDL, type PostgresExecute } from './postgres';
export { executionPlan, NO_TARGETS } from './plan';
export { noneExecutor, NoneExecuteSchema, type NoneExecute } from './none';
export type { ExecuteLocation, ExecuteOf, ExecuteProblem, ExecutionPlan, Executor, ExecutorDeps } from './types';
