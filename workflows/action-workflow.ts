import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { Action, ActionResult, PublicDecision } from '../domain/action';
import type { AuditEventType, NewAuditEvent } from '../domain/audit-event';
import type { PolicyDecision } from '../domain/decision';
import { sameIdentity } from '../domain/identity';
import { isTerminal, type ActionStatus } from '../domain/status';
import { cancelUpdate, decideUpdate, getActionQuery, Refusal, reportResultUpdate, type ActionWorkflowInput, type DecideInput } from './messages';
import { initialAction } from './initial-action';
import { checkVoter, quorumReached } from './quorum';
import { SearchAttributes } from './search-attributes';
import type { ActionChange } from '../activities/notify';

type Activities = ReturnType<typeof createActivities>;

// Bounded (about a minute): an audit trail that cannot be written closes the action instead of holding it for ever.
const { recordStep, evaluatePolicy } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 10, nonRetryableErrorTypes: ['AuditDataRejected'] },
});
const { reportFailClosed } = proxyLocalActivities<Activities>({ startToCloseTimeout: '5s', retry: { maximumAttempts: 3 } });
const { executeHttp } = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 6, nonRetryableErrorTypes: ['HttpClientError', 'ExecutorMisconfigured'] },
});
const { notifyActionChange } = proxyActivities<Activities>({
  startToCloseTimeout: '20s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 4 },
});

const SYSTEM = 'interlock';
const DEFAULT_GRANT_SECONDS = 3600;

/**
 * One privileged action from submission to a terminal status. Every step is written to the audit chain
 * (in order, through one promise chain) before the workflow moves on; votes arrive as the `decide` Update.
 */
export async function actionWorkflow(input: ActionWorkflowInput): Promise<Action> {
  const { submission: sub, requester } = input;
  let policy: PolicyDecision | null = null;
  let version = 0;
  let eventNo = 0;
  let approvalStartedAt = 0;
  /** Set when a step could not be made after its bounded retries: the action then closes (fail closed). */
  let fault: { activity: string; reason: string } | null = null;
  /** Whether the trail holds the approval: an approval it could not record is no approval (fail closed). */
  let approvalRecorded = false;
  const state: Action = initialAction(input);

  const now = () => new Date().toISOString(); // workflow time: deterministic on replay
  const snapshot = (): Action => JSON.parse(JSON.stringify(state)); // no structuredClone in the workflow sandbox

  // Audit writes are chained so events land in the order the workflow produced them, whichever
  // handler or branch produced them.
  let lastRecord: Promise<void> = Promise.resolve();
  const record = (events: { type: AuditEventType; actor: string; data?: Record<string, unknown> }[]): Promise<void> => {
    const batch: NewAuditEvent[] = events.map((e) => ({
      id: `${input.id}:${++eventNo}:${e.type}`,
      actionId: input.id,
      type: e.type,
      actor: e.actor,
      at: now(),
      data: e.data ?? {},
      policyVersion: policy?.policyVersion ?? null,
    }));
    const step = { events: batch, action: snapshot(), version: ++version };
    const written = lastRecord.then(() => recordStep(step));
    lastRecord = written;
    // A write that failed for good closes the action (failClosed); later writes are not tried until it restarts the chain.
    written.catch((err) => void (fault ??= faultOf(err, 'recordStep')));
    return written;
  };

  // Notifications (Slack) run on their own ordered queue: a slow or failing chat service never holds up a decision.
  const outbox: ActionChange[] = [];
  let notifying = false;
  const notify = (kind: ActionChange['kind'], extra: Partial<ActionChange> = {}) => {
    if (!policy || policy.outcome !== 'require_approval') return;
    outbox.push({ kind, action: snapshot(), ...extra });
    if (notifying) return;
    notifying = true;
    void (async () => {
      while (outbox.length > 0) {
        const change = outbox.shift()!;
        try {
          await notifyActionChange(change);
        } catch (err) {
          log.warn('notification failed; the action goes on', { kind: change.kind, error: String(err) });
        }
      }
      notifying = false;
    })();
  };

  const setStatus = (status: ActionStatus, reason: string | null = state.statusReason) => {
    state.status = status;
    state.statusReason = reason;
    state.updatedAt = now();
    upsertSearchAttributes([{ key: SearchAttributes.status, value: status } as never]);
  };

  const selfApprovalAllowed = () => !!policy && sub.breakGlass && policy.breakGlassGroups.some((g) => requester.groups.includes(g));

  setHandler(getActionQuery, snapshot);

  setHandler(
    decideUpdate,
    async (vote) => {
      const verdict = eligibility(vote);
      const entry = { principal: vote.principal.id, decision: vote.decision, comment: vote.comment ?? null, at: now(), via: vote.via, group: verdict.group ?? null };
      state.approvals.push(entry);
      state.updatedAt = entry.at;
      const breakGlassSelf = sameIdentity(vote.principal.id, requester.id);
      const events: Parameters<typeof record>[0] = [{ type: 'approval.decision', actor: vote.principal.id, data: { ...entry, breakGlass: breakGlassSelf } }];
      if (vote.decision === 'deny') {
        setStatus('denied', `denied by ${vote.principal.id}${entry.comment ? `: ${entry.comment}` : ''}`);
        events.push({ type: 'action.denied', actor: vote.principal.id, data: { by: 'approver', comment: entry.comment } });
      } else if (breakGlassSelf || quorumReached(state.approvals, policy!.quorum)) {
        const approvers = state.approvals.filter((v) => v.decision === 'approve').map((v) => v.principal);
        setStatus('approved', breakGlassSelf ? `break-glass self-approval by ${vote.principal.id}` : `approved by ${approvers.join(', ')}`);
        events.push({ type: 'action.approved', actor: SYSTEM, data: { by: 'approvers', approvers, breakGlass: breakGlassSelf, reviewRequired: breakGlassSelf } });
      }
      try {
        await record(events);
      } catch (err) {
        state.approvals.splice(state.approvals.indexOf(entry), 1); // not in the trail: not counted (the action closes, failClosed)
        throw err;
      }
      if (state.status === 'approved') approvalRecorded = true;
      notify('vote', { actor: vote.principal.id });
      if (state.status !== 'pending_approval') notify('closed');
      return snapshot();
    },
    {
      validator: (vote) => {
        const verdict = eligibility(vote);
        if (!verdict.ok) throw ApplicationFailure.create({ type: verdict.refusal, message: verdict.message, nonRetryable: true });
      },
    },
  );

  function eligibility(vote: Pick<DecideInput, 'principal' | 'decision'>) {
    if (state.status !== 'pending_approval' || !policy) {
      return { ok: false, refusal: Refusal.actionClosed, message: `action ${input.id} is ${state.status}; votes are accepted only while it is pending_approval` };
    }
    return checkVoter({
      voter: vote.principal,
      decision: vote.decision,
      approvers: state.decision!.approvers,
      approvals: state.approvals,
      distinctGroups: policy.distinctGroups,
      requester: requester.id,
      onBehalfOf: sub.onBehalfOf,
      selfApprovalAllowed: selfApprovalAllowed(),
    });
  }

  setHandler(
    cancelUpdate,
    async ({ principal, reason }) => {
      setStatus('cancelled', `cancelled by ${principal}${reason ? `: ${reason}` : ''}`);
      await record([{ type: 'action.cancelled', actor: principal, data: { reason: reason ?? null } }]);
      notify('closed');
      return snapshot();
    },
    {
      validator: ({ principal, isAdmin }) => {
        if (!sameIdentity(principal, requester.id) && !isAdmin) throw ApplicationFailure.create({ type: Refusal.notAllowed, message: `only the requester or an admin may cancel ${input.id}`, nonRetryable: true });
        if (isTerminal(state.status) || state.status === 'executing' || (state.status === 'approved' && state.execute.type === 'http')) {
          throw ApplicationFailure.create({ type: Refusal.actionClosed, message: `action ${input.id} is ${state.status} and can no longer be cancelled`, nonRetryable: true });
        }
      },
    },
  );

  setHandler(
    reportResultUpdate,
    async ({ principal, status, output }) => {
      state.result = { status, output: output ?? null, reportedBy: principal };
      setStatus(status, null);
      await record([{ type: status === 'succeeded' ? 'execution.succeeded' : 'execution.failed', actor: principal, data: { mode: 'gate', output: output ?? null } }]);
      notify('result');
      return snapshot();
    },
    {
      validator: ({ principal }) => {
        if (!sameIdentity(principal, requester.id)) throw ApplicationFailure.create({ type: Refusal.notAllowed, message: `only the requester (${requester.id}) reports the result of ${input.id}`, nonRetryable: true });
        if (state.execute.type !== 'none' || state.status !== 'approved' || state.result) {
          throw ApplicationFailure.create({ type: Refusal.notAwaitingResult, message: `action ${input.id} is ${state.status}; a result is accepted only for an approved gate-mode action`, nonRetryable: true });
        }
      },
    },
  );

  try {
    await story();
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    fault ??= faultOf(err, 'recordStep');
  }
  if (fault) await failClosed(fault);
  return finish();

  async function story(): Promise<void> {
    // 1. Submitted.
    await record([{ type: 'action.submitted', actor: requester.id, data: { submission: sub, requester } }]);

    // 2. Policy decides (fail closed when it cannot).
    if (state.status === 'evaluating') {
      try {
        policy = await evaluatePolicy({ id: input.id, submission: sub, requester, submittedAt: input.submittedAt });
      } catch (err) {
        log.error('policy evaluation failed; denying', { error: String(err) });
      }
    }
    if (state.status === 'evaluating') {
      if (!policy) {
        setStatus('denied', 'policy evaluation failed; denied (fail closed)');
        await record([{ type: 'action.denied', actor: SYSTEM, data: { by: 'policy', reason: state.statusReason } }]);
        return;
      }
      state.decision = publicDecision(policy, null, input.executeHash);
      upsertSearchAttributes([{ key: SearchAttributes.risk, value: policy.risk ?? 'none' } as never]);
      await record([{ type: 'policy.evaluated', actor: 'policy', data: { decision: policy } }]);
    }

    if (state.status === 'evaluating' && policy) {
      if (policy.outcome === 'deny') {
        setStatus('denied', policy.reason);
        await record([{ type: 'action.denied', actor: 'policy', data: { by: 'policy', ruleId: policy.ruleId, reason: policy.reason } }]);
      } else if (policy.outcome === 'allow') {
        setStatus('approved', policy.reason);
        await record([{ type: 'action.approved', actor: 'policy', data: { by: 'policy', ruleId: policy.ruleId } }]);
        approvalRecorded = true;
      } else {
        await awaitApprovals(policy);
      }
    }

    // 3. Approved: run it (http) or hand it to the caller (gate mode). Never when the approval could not be recorded.
    if (state.status === 'approved' && !fault) {
      if (sub.execute.type === 'http') await runHttp();
      else await awaitGateResult(policy!);
    }
    await lastRecord; // a handler's last write failing still closes the action
  }

  async function awaitApprovals(p: PolicyDecision): Promise<void> {
    approvalStartedAt = Date.now();
    const deadline = approvalStartedAt + p.timeoutSeconds * 1000;
    state.decision = publicDecision(p, new Date(deadline).toISOString(), input.executeHash);
    setStatus('pending_approval', null);
    await record([{ type: 'approval.requested', actor: SYSTEM, data: { approvers: p.approvers, quorum: p.quorum, distinctGroups: p.distinctGroups, expiresAt: state.decision.expiresAt, escalation: p.escalation, breakGlass: sub.breakGlass } }]);
    notify('requested');
    let level = 0;
    while (state.status === 'pending_approval' && !fault) {
      const tier = p.escalation[level];
      const tierAt = tier ? approvalStartedAt + tier.afterSeconds * 1000 : Infinity;
      const wakeAt = Math.min(deadline, tierAt);
      const decided = await condition(() => state.status !== 'pending_approval' || fault !== null, Math.max(1, wakeAt - Date.now()));
      if (decided) break;
      if (tier && Date.now() >= tierAt && tierAt < deadline) {
        level += 1;
        const d = state.decision!;
        d.approvers = { groups: union(d.approvers.groups, tier.groups), principals: union(d.approvers.principals, tier.principals) };
        d.escalationLevel = level;
        state.updatedAt = now();
        await record([{ type: 'approval.escalated', actor: SYSTEM, data: { level, added: { groups: tier.groups, principals: tier.principals }, approvers: d.approvers } }]);
        notify('escalated', { escalation: { level, groups: tier.groups, principals: tier.principals } });
      } else if (Date.now() >= deadline) {
        const got = state.approvals.filter((v) => v.decision === 'approve').length;
        setStatus('expired', `no quorum before ${state.decision!.expiresAt} (${got} of ${p.quorum} approvals)`);
        await record([{ type: 'action.expired', actor: SYSTEM, data: { approvals: got, quorum: p.quorum, expiresAt: state.decision!.expiresAt } }]);
        notify('closed');
      }
    }
    await lastRecord; // a vote handler's events land before execution starts
  }

  async function runHttp(): Promise<void> {
    setStatus('executing', null);
    await record([{ type: 'execution.started', actor: SYSTEM, data: { executor: 'http', method: state.execute.method, url: state.execute.url, ...('body' in state.execute ? { body: state.execute.body } : {}) } }]);
    let result: ActionResult;
    try {
      result = await executeHttp({ actionId: input.id, execute: sub.execute as Extract<typeof sub.execute, { type: 'http' }> });
    } catch (err) {
      const cause = (err as { cause?: { message?: string; details?: unknown[] } }).cause;
      const details = (cause?.details?.[0] ?? {}) as { httpStatus?: number; output?: string };
      result = { status: 'failed', httpStatus: details.httpStatus, output: details.output, error: cause?.message ?? String(err) };
    }
    state.result = result;
    setStatus(result.status, result.status === 'failed' ? (result.error ?? `HTTP ${result.httpStatus}`) : null);
    await record([{ type: result.status === 'succeeded' ? 'execution.succeeded' : 'execution.failed', actor: SYSTEM, data: { executor: 'http', ...result } }]);
    notify('result');
  }

  async function awaitGateResult(p: PolicyDecision): Promise<void> {
    const grant = (p.grantSeconds ?? DEFAULT_GRANT_SECONDS) * 1000;
    state.grantExpiresAt = new Date(Date.now() + grant).toISOString();
    state.updatedAt = now();
    await condition(() => state.status !== 'approved' || fault !== null, grant);
  }

  /** Closes the action because a step could not be made: `denied` before approval, `failed` after, the reason kept. */
  async function failClosed(f: { activity: string; reason: string }): Promise<void> {
    const before = state.status === 'evaluating' || state.status === 'pending_approval' || (state.status === 'approved' && !approvalRecorded);
    const after = !before && (state.status === 'approved' || state.status === 'executing');
    const reason = `${f.activity} failed after its bounded retries (${f.reason}); ${before ? 'denied' : 'failed'} (fail closed)`;
    if (before || after) {
      if (after) state.result ??= { status: 'failed', error: reason };
      setStatus(before ? 'denied' : 'failed', reason);
    } else {
      state.statusReason = state.statusReason ? `${state.statusReason}; ${reason}` : reason; // already closed: its last event was not recorded
      state.updatedAt = now();
    }
    log.error('action closed: a step could not be made', { id: input.id, status: state.status, activity: f.activity, reason: f.reason });
    await reportFailClosed({ actionId: input.id, status: state.status, activity: f.activity, reason: f.reason });
    // One more try to leave the closing in the trail; if the trail is still down, the workflow result says why.
    lastRecord = Promise.resolve();
    const type = state.status === 'failed' ? 'execution.failed' : state.status === 'denied' ? 'action.denied' : null;
    if (type) await record([{ type, actor: SYSTEM, data: { by: 'interlock', failClosed: true, activity: f.activity, reason } }]).catch(() => undefined);
    notify('closed');
  }

  async function finish(): Promise<Action> {
    await condition(allHandlersFinished);
    await lastRecord.catch(() => undefined); // already reported by failClosed, or by the refused Update
    await condition(() => !notifying);
    log.info('action finished', { id: workflowInfo().workflowId, status: state.status });
    return snapshot();
  }
}

/** What a person needs to know about a step that failed for good: which activity, and its last error. */
function faultOf(err: unknown, activity: string): { activity: string; reason: string } {
  const e = err as { activityType?: string; cause?: { message?: string }; message?: string };
  return { activity: e.activityType ?? activity, reason: e.cause?.message ?? e.message ?? String(err) };
}

function publicDecision(p: PolicyDecision, expiresAt: string | null, executeHash: string | undefined): PublicDecision {
  return {
    outcome: p.outcome,
    ruleId: p.ruleId,
    policyVersion: p.policyVersion,
    approvers: { groups: [...p.approvers.groups], principals: [...p.approvers.principals] },
    quorum: p.quorum,
    distinctGroups: p.distinctGroups,
    escalationLevel: 0,
    escalation: p.escalation,
    expiresAt,
    risk: p.risk,
    controls: p.controls,
    reason: p.reason,
    breakGlass: p.breakGlassGroups.length > 0,
    requireJustification: p.requireJustification,
    slackChannel: p.slackChannel,
    ...(executeHash ? { executeHash } : {}),
  };
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}
