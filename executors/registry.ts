import { Type } from 'typebox';
import { httpExecutor } from './http';
import { noneExecutor } from './none';
import { postgresExecutor } from './postgres';
import type { ExecuteOf, Executor } from './types';

/** Every executor, one line each: adding one is its file plus a line here; the workflow does not change. */
export const EXECUTORS = [
  noneExecutor,
  httpExecutor,
  postgresExecutor,
] as const;

/** The submission's `execute` object: one of the registry's schemas, chosen by `type`. */
export type Execute = ExecuteOf<(typeof EXECUTORS)[number]>;
// Unsafe only carries the static type: the JSON schema is the plain union, as the OpenAPI document shows it.
export const ExecuteSchema = Type.Unsafe<Execute>(Type.Union(EXECUTORS.map((e) => e.schema)));
/** `execute.type` as the Action shows it. */
export const ExecuteTypeSchema = Type.Unsafe<Execute['type']>(Type.Union(EXECUTORS.map((e) => Type.Literal(e.type))));

const BY_TYPE = new Map<string, Executor<any>>(EXECUTORS.map((e) => [e.type, e]));

/** The executor for `type`; the submission schema admits no other, so a miss is a bug (or an old history). */
export function executorFor(type: string): Executor<any> {
  const executor = BY_TYPE.get(type);
  if (!executor) throw new Error(`no executor for execute.type "${type}"`);
  return executor;
}
