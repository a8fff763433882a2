import type { Submission } from '../domain/action';
import { ErrorCode } from './errors';
import type { CodedProblem } from './submission';

/**
 * Upper bounds, in bytes of JSON, of the parts of a submission that no policy rule bounds (params have the rule's
 * `max_params_bytes`, 64 KiB by default). Each step of an action carries its whole state through Temporal, so a
 * 1 MiB context made workflow tasks that never completed; these keep an action's history well under its limits.
 */
export const SUBMISSION_LIMITS = { context: 16 * 1024, execute: 64 * 1024 } as const;

/** The parts of `body` over their bound, each naming its field, the size and the limit. */
export function oversizedParts(body: Submission): CodedProblem[] {
  const problems: CodedProblem[] = [];
  for (const field of Object.keys(SUBMISSION_LIMITS) as (keyof typeof SUBMISSION_LIMITS)[]) {
    if (body[field] === undefined) continue;
    const size = Buffer.byteLength(JSON.stringify(body[field]));
    const limit = SUBMISSION_LIMITS[field];
    if (size > limit) problems.push({ field, ruleId: null, code: ErrorCode.unprocessable, message: `${field} is ${size} bytes of JSON; at most ${limit} are accepted` });
  }
  return problems;
}
