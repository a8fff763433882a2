import type { types } from '@slack/bolt';
import type { Action } from '../../domain/action';
import type { ActionStatus } from '../../domain/status';
import { ActionId, VOTE_BLOCK_ID } from './interaction-ids';
import { outcomeLine, resultLine, voteLine } from './decision-lines';
import { clip, escapeText, mention, slackDate } from './mrkdwn';
import { paramsForDisplay } from './params-display';
import { executorFor } from '../../executors';

export interface MessageContext {
  /** `${publicUrl}/v1/actions/<id>` */
  actionUrl(id: string): string;
  /** The action's page in the web console, where a step-up rule's approval is given after a fresh sign-in. */
  consoleUrl?(id: string): string;
  temporalUrl(id: string): string;
  /** Slack user ids of a group's mapped members, to name the people an escalation added. */
  slackIdsOf(group: string): string[];
}

export interface SlackMessage {
  text: string;
  blocks: types.KnownBlock[];
}

const HEADLINE: Record<ActionStatus, string> = {
  evaluating: ':hourglass_flowing_sand: Evaluating',
  pending_approval: ':raising_hand: Approval needed',
  approved: ':white_check_mark: Approved',
  executing: ':gear: Approved, executing',
  succeeded: ':white_check_mark: Approved and succeeded',
  failed: ':warning: Approved, execution failed',
  denied: ':no_entry: Denied',
  expired: ':hourglass: Expired',
  cancelled: ':heavy_multiplication_x: Cancelled',
};

/**
 * The approval request as one Slack message, rendered whole from the action each time it changes, so an update
 * after a retry or out of a stale view still shows the truth. Buttons exist only while a vote can count.
 */
export function requestMessage(action: Action, ctx: MessageContext): SlackMessage {
  const d = action.decision;
  const code = (s: string) => `\`${escapeText(clip(s, 500)).replace(/`/g, "'")}\``;
  const fields = [
    `*Action*\n${code(action.action)}`,
    `*Resource*\n${code(action.resource)}`,
    `*Environment*\n${escapeText(action.environment)}`,
    `*Requester*\n${escapeText(action.requester)}`,
    `*On behalf of*\n${action.onBehalfOf ? escapeText(action.onBehalfOf) : '—'}`,
    `*Risk*\n${d?.risk ? escapeText(d.risk) : 'not rated'}`,
    `*Rule*\n${d?.ruleId ? code(d.ruleId) : 'default'}`,
    `*Controls*\n${d && d.controls.length ? escapeText(d.controls.join(', ')) : '—'}`,
    `*Approvals*\n${progress(action)}`,
    `*Deadline*\n${d?.expiresAt ? slackDate(d.expiresAt) : '—'}`,
  ];
  const blocks: types.KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(`${HEADLINE[action.status]}: ${action.action}`, 150), emoji: true } },
    { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text: clip(text, 2000) })) },
    section(`*Justification*\n${action.justification ? `>${escapeText(clip(action.justification, 2500)).replace(/\n/g, '\n>')}` : '_none given_'}`),
    section(`*Parameters*\n\`\`\`${escapeText(paramsForDisplay(action.params))}\`\`\``),
    ...(action.execute.type !== 'none' ? [section(executionLine(action.execute))] : []),
    section(approversLine(action, ctx)),
  ];
  if (action.approvals.length > 0) blocks.push(section(action.approvals.map(voteLine).join('\n')));
  const outcome = outcomeLine(action);
  if (outcome) blocks.push(section(outcome));
  if (action.result) blocks.push(section(resultLine(action)));
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `<${ctx.actionUrl(action.id)}|${action.id}> · <${ctx.temporalUrl(action.id)}|Temporal UI>${d ? ` · policy ${escapeText(d.policyVersion.slice(0, 19))}` : ''}` }],
  });
  if (action.status === 'pending_approval') {
    blocks.push({
      type: 'actions',
      block_id: VOTE_BLOCK_ID,
      elements: [
        // A step-up rule wants a fresh IdP sign-in, which a chat session is not: the button opens the console instead of voting.
        d?.stepUp && ctx.consoleUrl
          ? { type: 'button', action_id: ActionId.openConsole, url: ctx.consoleUrl(action.id), style: 'primary', text: { type: 'plain_text', text: 'Approve in console' } }
          : { type: 'button', action_id: ActionId.approve, value: action.id, style: 'primary', text: { type: 'plain_text', text: 'Approve' } },
        { type: 'button', action_id: ActionId.deny, value: action.id, style: 'danger', text: { type: 'plain_text', text: 'Deny' } },
      ],
    });
  }
  return { text: clip(`${HEADLINE[action.status]}: ${action.action} on ${action.resource} (${action.environment}), requested by ${action.requester}`, 3000), blocks };
}

/** What the executor will do once approved, as the executor describes it: approvers vote on exactly this. */
function executionLine(execute: Action['execute']): string {
  const { summary, fields } = executorFor(execute.type).describe(execute as never);
  const code = (text: string, max: number) => escapeText(clip(text, max)).replace(/```/g, "'''");
  return [`*Will send*\n\`${code(summary, 1000).replace(/`/g, "'")}\``, ...fields.map((f) => `${escapeText(f.label)}:\n\`\`\`${code(f.value, 1800)}\`\`\``)].join('\n');
}

function section(text: string): types.KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text, 3000) } };
}

function progress(action: Action): string {
  const approvals = action.approvals.filter((v) => v.decision === 'approve').length;
  return `${approvals} of ${action.decision?.quorum ?? 1}`;
}

function approversLine(action: Action, ctx: MessageContext): string {
  const d = action.decision;
  if (!d) return '*Approvers*\n—';
  const who = [...d.approvers.groups.map((g) => `group ${escapeText(g)}`), ...d.approvers.principals.map(escapeText)].join(', ') || 'nobody';
  const lines = [`*Approvers*\n${who}${d.distinctGroups ? ' (one approval per group)' : ''}`];
  const added = d.escalation.slice(0, d.escalationLevel);
  if (added.length > 0) {
    const groups = added.flatMap((t) => t.groups);
    const people = [...new Set(groups.flatMap((g) => ctx.slackIdsOf(g)))].map(mention);
    const names = [...groups.map((g) => `group ${escapeText(g)}`), ...added.flatMap((t) => t.principals.map(escapeText))].join(', ');
    lines.push(`:rotating_light: Escalated (level ${d.escalationLevel}) to ${names}${people.length ? `: ${people.join(' ')}` : ''}`);
  }
  return lines.join('\n');
}
