import { condition } from '@temporalio/workflow';
import type { PolicyDecision } from '../domain/decision';
import { SYSTEM, type ActionState } from './action-state';
import { publicDecision, union } from './decision-view';

/**
 * Waits for a quorum until the deadline, widening the approver set at each escalation tier; ends `expired`
 * (never reported as denied) when the deadline passes first. Votes arrive through the `decide` Update.
 */
export async function awaitApprovals(a: ActionState, p: PolicyDecision): Promise<void> {
  const action = a.action;
  const startedAt = Date.now();
  const deadline = startedAt + p.timeoutSeconds * 1000;
  action.decision = publicDecision(p, new Date(deadline).toISOString(), a.input.executeHash);
  await a.transition({
    status: 'pending_approval',
    reason: null,
    events: [{ type: 'approval.requested', actor: SYSTEM, data: { approvers: p.approvers, quorum: p.quorum, distinctGroups: p.distinctGroups, expiresAt: action.decision.expiresAt, escalation: p.escalation, breakGlass: a.input.submission.breakGlass } }],
    notify: ['requested'],
  });
  let level = 0;
  while (a.status === 'pending_approval' && !a.fault) {
    const tier = p.escalation[level];
    const tierAt = tier ? startedAt + tier.afterSeconds * 1000 : Infinity;
    const decided = await condition(() => a.status !== 'pending_approval' || a.fault !== null, Math.max(1, Math.min(deadline, tierAt) - Date.now()));
    if (decided) break;
    if (tier && Date.now() >= tierAt && tierAt < deadline) {
      level += 1;
      const d = action.decision!;
      d.approvers = { groups: union(d.approvers.groups, tier.groups), principals: union(d.approvers.principals, tier.principals) };
      d.escalationLevel = level;
      action.updatedAt = a.now();
      const added = { groups: tier.groups, principals: tier.principals };
      await a.transition({ events: [{ type: 'approval.escalated', actor: SYSTEM, data: { level, added, approvers: d.approvers } }], notify: ['escalated'], change: { escalation: { level, ...added } } });
    } else if (Date.now() >= deadline) {
      const got = action.approvals.filter((v) => v.decision === 'approve').length;
      await a.transition({
        status: 'expired',
        reason: `no quorum before ${action.decision!.expiresAt} (${got} of ${p.quorum} approvals)`,
        events: [{ type: 'action.expired', actor: SYSTEM, data: { approvals: got, quorum: p.quorum, expiresAt: action.decision!.expiresAt } }],
        notify: ['closed'],
      });
    }
  }
  await a.written(); // a vote handler's events land before execution starts
}
