import type { Action } from '../domain/action';
import type { PolicyDecision } from '../domain/decision';
import type { ActionWorkflowInput } from './messages';

/**
 * What Temporal UI shows of an action (its user metadata): a one-line summary and Markdown details fixed at the
 * start, and current details saying what it waits for. Pure text, shared by the API (start) and the workflow;
 * never a params value (only its keys) and never the userinfo of a resource URL.
 */

/** "db.export postgres://prod/customers by svc:etl-bot for alice@example.com" */
export function staticSummaryOf(input: ActionWorkflowInput): string {
  const sub = input.submission;
  const forWhom = sub.onBehalfOf ? ` for ${sub.onBehalfOf}` : '';
  return `${sub.action} ${withoutUserinfo(sub.resource)} by ${input.requester.id}${forWhom}`.slice(0, 400);
}

export interface StoryLinks {
  /** The Action in the API. */
  self: string;
  /** This workflow in Temporal UI. */
  temporalUi?: string;
}

/** The decision as the submission got it: rule, risk, quorum, deadline, controls, and where to look. */
export function staticDetailsOf(input: ActionWorkflowInput, links: StoryLinks): string {
  const sub = input.submission;
  const d = input.decision;
  const lines = [
    `**${sub.action}** on \`${withoutUserinfo(sub.resource)}\` in **${sub.environment}**`,
    '',
    `- requester: ${input.requester.id}${sub.onBehalfOf ? ` on behalf of ${sub.onBehalfOf}` : ''}`,
    `- submitted: ${input.submittedAt}`,
    `- executor: ${sub.execute.type}${input.executeTarget ? ` (target ${input.executeTarget.target})` : ''}`,
  ];
  if (sub.justification) lines.push(`- justification: ${oneLine(sub.justification)}`);
  const keys = Object.keys(sub.params ?? {});
  if (keys.length) lines.push(`- params: ${keys.map((k) => `\`${k}\``).join(', ')}`);
  if (d) {
    lines.push(`- rule: \`${d.ruleId ?? 'default'}\` → **${d.outcome}** (policy ${d.policyVersion.slice(0, 19)})`);
    lines.push(`- risk: ${d.risk ?? 'none'}`);
    if (d.outcome === 'require_approval') {
      lines.push(`- quorum: ${d.quorum} from ${approverText(d)}`);
      lines.push(`- deadline: ${deadlineOf(input.submittedAt, d)}`);
      for (const tier of d.escalation) lines.push(`- escalates to ${[...tier.groups, ...tier.principals].join(', ')} after ${tier.afterSeconds}s`);
    }
    if (d.controls.length) lines.push(`- controls: ${d.controls.join(', ')}`);
  }
  lines.push('', `[Action](${links.self})${links.temporalUi ? ` · [Temporal UI](${links.temporalUi})` : ''}`);
  return lines.join('\n');
}

/** "1 of 2 approvals from data-owners; escalates to security-oncall at 10:42", or what the status means now. */
export function currentDetailsOf(action: Action, policy: PolicyDecision | null, submittedAt: string): string {
  const d = action.decision;
  switch (action.status) {
    case 'evaluating':
      return 'evaluating the policy';
    case 'pending_approval': {
      if (!d || !policy) return 'waiting for approval';
      const got = action.approvals.filter((v) => v.decision === 'approve').length;
      const next = policy.escalation[d.escalationLevel];
      // The wait (and its escalation clock) began when approval was requested: expiresAt less the timeout.
      const waitStarted = d.expiresAt ? addSeconds(d.expiresAt, -policy.timeoutSeconds) : submittedAt;
      const escalation = next ? `; escalates to ${[...next.groups, ...next.principals].join(', ')} at ${clock(addSeconds(waitStarted, next.afterSeconds))}` : '';
      const expires = d.expiresAt ? `; expires at ${clock(d.expiresAt)}` : '';
      return `${got} of ${d.quorum} approvals from ${approverText({ approvers: d.approvers })}${escalation}${expires}`;
    }
    case 'approved':
      return action.execute.type === 'none' ? `approved; waiting for the requester to run it and report the result${action.grantExpiresAt ? ` by ${clock(action.grantExpiresAt)}` : ''}` : 'approved; starting the execution';
    case 'executing':
      return `executing (${action.execute.type})`;
    default:
      return `${action.status}${action.statusReason ? `: ${oneLine(action.statusReason)}` : ''}`;
  }
}

function approverText(d: Pick<PolicyDecision, 'approvers'>): string {
  const names = [...d.approvers.groups, ...d.approvers.principals];
  return names.length ? names.join(', ') : 'nobody';
}

function deadlineOf(submittedAt: string, d: PolicyDecision): string {
  return addSeconds(submittedAt, d.timeoutSeconds);
}

function addSeconds(iso: string, s: number): string {
  return new Date(Date.parse(iso) + s * 1000).toISOString();
}

/** HH:MM UTC, as the on-call person reads it next to the UI's clock. */
function clock(iso: string): string {
  return `${iso.slice(11, 16)} UTC`;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
}

/** `postgres://user:pass@host/db` -> `postgres://host/db`: a resource may be a URL that carries credentials. */
function withoutUserinfo(resource: string): string {
  return resource.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1');
}
