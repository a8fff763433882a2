import type { Execute } from '../../domain/action';
import { checkTarget, headerProblems, type PrivateAllowList } from '../../network';
import { ApiError, ErrorCode } from '../errors';

/** One reason the http executor would not send a submission's `execute` as given; same shape as the policy's problems. */
export interface ExecuteProblem {
  field: string;
  ruleId: null;
  message: string;
  code: string;
}

/** Checks an `execute` before anything is stored or started: where it goes, and which headers it carries. */
export function executeProblems(execute: Execute, allow: PrivateAllowList): ExecuteProblem[] {
  if (execute.type !== 'http') return [];
  const problems: ExecuteProblem[] = [];
  const refusal = checkTarget(execute.url, allow);
  if (refusal) problems.push({ field: 'execute.url', ruleId: null, message: refusal.message, code: ErrorCode.targetNotAllowed });
  for (const h of headerProblems(execute.headers)) {
    problems.push({ field: h.field, ruleId: null, message: h.message, code: h.credential ? ErrorCode.credentialInRequest : ErrorCode.unprocessable });
  }
  return problems;
}

/** The 422 for a submission with such problems; the code is the first problem's (a refused target before a header). */
export function executeRefusal(problems: ExecuteProblem[]): ApiError {
  return new ApiError(422, problems[0].code, problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems.map(({ field, message }) => ({ field, message })));
}
