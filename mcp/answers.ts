// What the agent reads back: tool results for a denial, a pending approval and a closed action. Each names the
// action id or the rule, so a person reading the agent's transcript can find it in Interlock.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Action } from '../domain/action';
import { formatDuration } from '../policy';
import type { Judgement } from './port';

const text = (t: string, isError: boolean): CallToolResult => ({ content: [{ type: 'text', text: t }], isError });

export function deniedByPolicy(j: Judgement, tool: string): CallToolResult {
  return text(`Interlock denied ${tool}: policy rule "${j.ruleId ?? 'default'}" (${j.policyVersion}) says no${j.reason ? `: ${j.reason}` : ''}. Do not retry this call.`, true);
}

export function refused(tool: string, why: string): CallToolResult {
  return text(`Interlock refused ${tool}: ${why}`, true);
}

/** A refusal to retry later: the agent's principal is over a rate or start limit; nothing ran. */
export function notNow(tool: string, why: string): CallToolResult {
  return text(`Interlock did not take ${tool} now: ${why}. Nothing ran. Call ${tool} again with the same arguments after that wait.`, true);
}

/** Who must still approve, in words: "2 approvals from group data-owners (0 so far)". */
export function awaiting(a: Action): string {
  const d = a.decision;
  if (!d) return 'an approval';
  const who = [...d.approvers.groups.map((g) => `group ${g}`), ...d.approvers.principals].join(' or ') || 'the approvers';
  const got = a.approvals.filter((v) => v.decision === 'approve').length;
  return `${d.quorum} approval${d.quorum === 1 ? '' : 's'} from ${who} (${got} so far)`;
}

export function pending(a: Action, tool: string, repeatWindowSeconds: number): CallToolResult {
  const rule = a.decision?.ruleId ? ` under rule "${a.decision.ruleId}"` : '';
  const expires = a.decision?.expiresAt ? `; it expires at ${a.decision.expiresAt}` : '';
  return text(
    `Interlock is holding ${tool} for approval: action ${a.id} (${a.status})${rule} needs ${awaiting(a)}${expires}. `
      + `Nothing has run yet. Call ${tool} again with the same arguments to get the outcome: while the action is open, and for ${formatDuration(repeatWindowSeconds)} after it settles, the same call maps to ${a.id} and returns its result, never a second run.`,
    false,
  );
}

export function closed(a: Action, tool: string): CallToolResult {
  const by = a.approvals.find((v) => v.decision === 'deny');
  switch (a.status) {
    case 'denied':
      return text(`Interlock denied ${tool}: action ${a.id} was denied${by ? ` by ${by.principal}${by.comment ? ` ("${by.comment}")` : ''}` : ''}${a.decision?.ruleId ? ` (rule "${a.decision.ruleId}")` : ''}. It did not run.`, true);
    case 'expired':
      return text(`Interlock: action ${a.id} for ${tool} expired without the approvals it needed (${awaiting(a)}). It did not run.`, true);
    case 'cancelled':
      return text(`Interlock: action ${a.id} for ${tool} was cancelled${a.statusReason ? `: ${a.statusReason}` : ''}. It did not run.`, true);
    case 'approved':
      return text(`Interlock: action ${a.id} for ${tool} was approved, but its grant window closed${a.grant ? ` at ${a.grant.expiresAt}` : ''} before the call was made again; it did not run. The same call maps to a new action once ${a.id} is older than the repeat window.`, true);
    default:
      return text(`Interlock: action ${a.id} for ${tool} ended ${a.status}${a.statusReason ? `: ${a.statusReason}` : ''}.`, true);
  }
}

/** The upstream's own result as the action kept it, for the waiting call and every repeat. */
export function kept(a: Action, tool: string): CallToolResult {
  const output = a.result?.output as Partial<CallToolResult> | null | undefined;
  if (output && Array.isArray(output.content)) return { ...(output as CallToolResult), isError: a.status === 'failed' || output.isError === true };
  const error = (output as { error?: string } | null)?.error ?? a.result?.error ?? a.statusReason;
  return text(`Interlock: action ${a.id} for ${tool} ${a.status}${error ? `: ${error}` : ''}.`, a.status !== 'succeeded');
}
