// How an approved action runs: one executor per `execute.type` (none: gate mode; http: one signed call), one registry.
export { EXECUTORS, ExecuteSchema, ExecuteTypeSchema, executorFor, type Execute } from './registry';
export { httpExecutor, HttpExecuteSchema, MAX_OUTPUT_BYTES, type HttpExecute } from './http';
export { noneExecutor, NoneExecuteSchema, type NoneExecute } from './none';
export type { ExecuteLocation, ExecuteOf, ExecuteProblem, Executor, ExecutorDeps } from './types';
