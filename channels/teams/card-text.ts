import { redactSecretParams } from '../../domain';
import type { Action } from '../../domain/action';

/**
 * Text someone else wrote (a requester's justification, a resource name), made literal for a card's TextBlock:
 * Adaptive Card markdown would otherwise turn it into links, emphasis or lists.
 */
export function literal(text: string): string {
  return text
    .replace(/[\\`*_[\]<>~|]/g, (c) => `\\${c}`)
    .replace(/^(\s*)([#+-])/gm, '$1\\$2')
    .replace(/^(\s*\d+)\./gm, '$1\\.');
}

/** At most `max` characters, with an ellipsis when cut (Teams refuses cards over about 28 KB). */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A time each reader sees in their own zone (Adaptive Card date functions take whole-second UTC). */
export function cardDate(iso: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return literal(iso);
  const utc = `${at.toISOString().slice(0, 19)}Z`;
  return `{{DATE(${utc}, SHORT)}} {{TIME(${utc})}}`;
}

/** The parameters as pretty JSON, secrets redacted (again: actions from before redaction at the edge), cut to fit. */
export function paramsText(params: Record<string, unknown>, max = 2500): string {
  const text = JSON.stringify(redactSecretParams(params), null, 2);
  return text.length <= max ? text : `${text.slice(0, max)}\n… (${text.length - max} more characters; see the action)`;
}

/** One line per vote: who, what, why, how and when. */
export function voteText(v: Action['approvals'][number]): string {
  const comment = v.comment ? `: “${literal(clip(v.comment, 300))}”` : '';
  return `${v.decision === 'approve' ? '✅' : '⛔'} ${literal(v.principal)} ${v.decision === 'approve' ? 'approved' : 'denied'}${comment} · via ${literal(v.via)} · ${cardDate(v.at)}`;
}

/** How the action ended, or null while it is open. */
export function outcomeText(action: Action): string | null {
  const approvers = action.approvals.filter((v) => v.decision === 'approve').map((v) => literal(v.principal));
  switch (action.status) {
    case 'approved':
    case 'executing':
    case 'succeeded':
    case 'failed':
      return `**Approved** ${approvers.length ? `by ${approvers.join(', ')}` : literal(action.statusReason ?? '')}`;
    case 'denied': {
      const no = action.approvals.find((v) => v.decision === 'deny');
      if (!no) return `**Denied**: ${literal(action.statusReason ?? 'by policy')}`;
      return `**Denied** by ${literal(no.principal)}${no.comment ? `: “${literal(clip(no.comment, 1000))}”` : ''}`;
    }
    case 'expired':
      return `**Expired**: ${literal(action.statusReason ?? 'no quorum before the deadline')}`;
    case 'cancelled':
      return `**Cancelled**: ${literal(action.statusReason ?? '')}`;
    default:
      return null;
  }
}

/** The execution result, for an action that has one. */
export function resultText(action: Action): string | null {
  const r = action.result;
  if (!r) return null;
  const how = r.httpStatus != null ? ` (HTTP ${r.httpStatus})` : r.reportedBy ? ` (reported by ${literal(r.reportedBy)})` : '';
  const error = r.status === 'failed' && r.error ? `: ${literal(clip(r.error, 500))}` : '';
  return `**Result**: ${r.status}${how}${error}`;
}
