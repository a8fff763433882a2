import { ApplicationFailure } from '@temporalio/activity';
import { Type, type Static } from 'typebox';
import type { Executor } from './types';

/** Gate mode: Interlock runs nothing; the caller runs the operation once approved and reports the result. */
export const NoneExecuteSchema = Type.Object({ type: Type.Literal('none') }, { additionalProperties: false });
export type NoneExecute = Static<typeof NoneExecuteSchema>;

export const noneExecutor: Executor<NoneExecute> = {
  type: 'none',
  schema: NoneExecuteSchema,
  normalise: (execute) => execute,
  check: () => [],
  describe: () => ({ summary: 'gate: the requester runs it once approved and reports the result', fields: [] }),
  createActivity: () =>
    async function runNone() {
      // The workflow never runs a gate-mode action; reaching here is a bug, and retrying would not fix it.
      throw ApplicationFailure.nonRetryable('a gate-mode action (execute.type "none") has nothing for Interlock to run', 'ExecutorMisconfigured');
    },
};
