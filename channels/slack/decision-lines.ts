import type { Action } from '../../domain/action';
import { clip, escapeText, slackDate } from './mrkdwn';

/** One line per vote: who, what, why, how and when. */
export function voteLine(v: Action['approvals'][number]): string {
  const icon = v.decision === 'approve' ? ':white_check_mark:' : ':no_entry:';
  const comment = v.comment ? `: “${escapeText(clip(v.comment, 300))}”` : '';
  return `${icon} ${escapeText(v.principal)} ${v.decision === 'approve' ? 'approved' : 'denied'}${comment} · via ${v.via} · ${slackDate(v.at, '{date_short_pretty} {time}')}`;
}

/** How the action ended, or null while it is still open. */
export function outcomeLine(action: Action): string | null {
  const approvers = action.approvals.filter((v) => v.decision === 'approve').map((v) => escapeText(v.principal));
  switch (action.status) {
    case 'approved':
    case 'executing':
    case 'succeeded':
    case 'failed':
      return `*Approved* ${approvers.length ? `by ${approvers.join(', ')}` : escapeText(action.statusReason ?? '')}`;
    case 'denied': {
      const no = action.approvals.find((v) => v.decision === 'deny');
      if (!no) return `*Denied*: ${escapeText(action.statusReason ?? 'by policy')}`;
      return `*Denied* by ${escapeText(no.principal)}${no.comment ? `: “${escapeText(clip(no.comment, 1000))}”` : ''}`;
    }
    case 'expired':
      return `*Expired*: ${escapeText(action.statusReason ?? 'no quorum before the deadline')}`;
    case 'cancelled':
      return `*Cancelled*: ${escapeText(action.statusReason ?? '')}`;
    default:
      return null;
  }
}

/** The execution result, for an action that has one. */
export function resultLine(action: Action): string {
  const r = action.result!;
  const how = r.httpStatus != null ? ` (HTTP ${r.httpStatus})` : r.reportedBy ? ` (reported by ${escapeText(r.reportedBy)})` : '';
  const error = r.status === 'failed' && r.error ? `: ${escapeText(clip(r.error, 500))}` : '';
  return `*Result*: ${r.status}${how}${error}`;
}

/** The outcome in one sentence, for the person the action was requested on behalf of. */
export function outcomeSentence(action: Action, actionUrl: (id: string) => string): string {
  const line = outcomeLine(action) ?? `*${action.status}*`;
  return `Your request \`${escapeText(action.action)}\` on \`${escapeText(clip(action.resource, 300))}\` (<${actionUrl(action.id)}|${action.id}>): ${line}`;
}
