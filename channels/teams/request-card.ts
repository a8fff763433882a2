import type { Action } from '../../domain/action';
import type { ActionStatus } from '../../domain/status';
import { executorFor } from '../../executors';
import { ReasonInput, Verb } from './card-ids';
import { cardDate, clip, literal, outcomeText, paramsText, resultText, voteText } from './card-text';

export interface CardContext {
  /** `${publicUrl}/v1/actions/<id>` */
  actionUrl(id: string): string;
  temporalUrl(id: string): string;
  /** The action's page in the web console, where a step-up rule's approval is given after a fresh sign-in. */
  consoleUrl?(id: string): string;
}

/** A line for the person who clicked (a refusal, a thank-you), shown above the card in the invoke response. */
export interface CardNotice {
  text: string;
  tone: 'good' | 'attention' | 'warning';
}

type Element = Record<string, unknown>;
export interface AdaptiveCard {
  type: 'AdaptiveCard';
  $schema: string;
  version: '1.5';
  body: Element[];
  actions?: Element[];
  msteams?: { width: 'Full' };
}

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

const HEADLINE: Record<ActionStatus, string> = {
  evaluating: '⏳ Evaluating',
  pending_approval: '🙋 Approval needed',
  approved: '✅ Approved',
  executing: '⚙️ Approved, executing',
  succeeded: '✅ Approved and succeeded',
  failed: '⚠️ Approved, execution failed',
  denied: '⛔ Denied',
  expired: '⌛ Expired',
  cancelled: '✖️ Cancelled',
};

/**
 * The approval request as one Adaptive Card 1.5, rendered whole from the action each time it changes, so an
 * update after a retry still shows the truth. Buttons (Action.Execute) exist only while a vote can count.
 */
export function requestCard(action: Action, ctx: CardContext, notice?: CardNotice): AdaptiveCard {
  const d = action.decision;
  const body: Element[] = [];
  if (notice) body.push({ type: 'Container', style: notice.tone === 'good' ? 'good' : notice.tone === 'warning' ? 'warning' : 'attention', items: [text(notice.text, { weight: 'Bolder' })] });
  body.push(text(literal(clip(`${HEADLINE[action.status]}: ${action.action}`, 200)), { size: 'Large', weight: 'Bolder' }));
  body.push({
    type: 'FactSet',
    facts: [
      fact('Action', literal(clip(action.action, 500))),
      fact('Resource', literal(clip(action.resource, 500))),
      fact('Environment', literal(action.environment)),
      fact('Requester', literal(action.requester)),
      fact('On behalf of', action.onBehalfOf ? literal(action.onBehalfOf) : '—'),
      fact('Risk', d?.risk ? literal(d.risk) : 'not rated'),
      fact('Rule', d?.ruleId ? literal(d.ruleId) : 'default'),
      fact('Controls', d && d.controls.length ? literal(d.controls.join(', ')) : '—'),
      fact('Approvals', `${action.approvals.filter((v) => v.decision === 'approve').length} of ${d?.quorum ?? 1}`),
      fact('Approvers', approversText(action)),
      fact('Deadline', d?.expiresAt ? cardDate(d.expiresAt) : '—'),
    ],
  });
  const escalated = escalationText(action);
  if (escalated) body.push(text(escalated, { color: 'Attention' }));
  body.push(heading('Justification'), text(action.justification ? literal(clip(action.justification, 2500)) : '_none given_'));
  body.push(heading('Parameters'), text(literal(paramsText(action.params)), { fontType: 'Monospace' }));
  if (action.execute.type !== 'none') body.push(...executionBlocks(action.execute));
  if (action.approvals.length > 0) body.push(heading('Votes'), ...action.approvals.map((v) => text(voteText(v))));
  for (const line of [outcomeText(action), resultText(action)]) if (line) body.push(text(line));
  body.push(text(`[${literal(action.id)}](${ctx.actionUrl(action.id)}) · [Temporal UI](${ctx.temporalUrl(action.id)})${d ? ` · policy ${literal(d.policyVersion.slice(0, 19))}` : ''}`, { isSubtle: true, size: 'Small' }));
  const card: AdaptiveCard = { type: 'AdaptiveCard', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', version: '1.5', body, msteams: { width: 'Full' } };
  if (action.status === 'pending_approval') card.actions = voteActions(action, ctx);
  return card;
}

/** Approve and Deny as Action.Execute; a reason is asked for in the card when one is needed (always to deny). */
function voteActions(action: Action, ctx: CardContext): Element[] {
  const data = { actionId: action.id };
  const approve = { type: 'Action.Execute', verb: Verb.approve, title: 'Approve', style: 'positive', data };
  // A step-up rule wants a fresh IdP sign-in, which a Teams session is not: Approve opens the console instead of voting.
  const approveAction = action.decision?.stepUp && ctx.consoleUrl ? { type: 'Action.OpenUrl', title: 'Approve in console', style: 'positive', url: ctx.consoleUrl(action.id) } : action.decision?.requireJustification ? reasonCard('Approve…', 'positive', { ...approve, title: 'Approve' }, ReasonInput.approve, 'Why do you approve? (the rule asks for a justification)') : approve;
  const deny = reasonCard('Deny…', 'destructive', { type: 'Action.Execute', verb: Verb.deny, title: 'Deny', style: 'destructive', data }, ReasonInput.deny, 'Why do you deny it?');
  return [approveAction, deny];
}

function reasonCard(title: string, style: string, submit: Element, inputId: string, label: string): Element {
  return {
    type: 'Action.ShowCard',
    title,
    style,
    card: {
      type: 'AdaptiveCard',
      body: [{ type: 'Input.Text', id: inputId, label, isMultiline: true, isRequired: true, maxLength: 2000, errorMessage: 'Give a reason: it is kept in the audit trail.' }],
      actions: [submit],
    },
  };
}

/** What the executor will do once approved, as the executor describes it: approvers vote on exactly this. */
function executionBlocks(execute: Action['execute']): Element[] {
  const { summary, fields } = executorFor(execute.type).describe(execute as never);
  return [heading('Will send'), text(literal(clip(summary, 1000)), { fontType: 'Monospace' }), ...fields.flatMap((f) => [text(`**${literal(f.label)}**`), text(literal(clip(f.value, 1800)), { fontType: 'Monospace' })])];
}

function approversText(action: Action): string {
  const d = action.decision;
  if (!d) return '—';
  const who = [...d.approvers.groups.map((g) => `group ${literal(g)}`), ...d.approvers.principals.map(literal)].join(', ') || 'nobody';
  return `${who}${d.distinctGroups ? ' (one approval per group)' : ''}`;
}

function escalationText(action: Action): string | null {
  const d = action.decision;
  const added = d ? d.escalation.slice(0, d.escalationLevel) : [];
  if (!d || added.length === 0) return null;
  const names = [...added.flatMap((t) => t.groups.map((g) => `group ${literal(g)}`)), ...added.flatMap((t) => t.principals.map(literal))].join(', ');
  return `🚨 Escalated (level ${d.escalationLevel}) to ${names}`;
}

function text(value: string, extra: Element = {}): Element {
  return { type: 'TextBlock', text: value, wrap: true, ...extra };
}
function heading(value: string): Element {
  return text(value, { weight: 'Bolder', spacing: 'Medium' });
}
function fact(title: string, value: string) {
  return { title, value };
}
