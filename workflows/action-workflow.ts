import { allHandlersFinished, ApplicationFailure, condition, log, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Action } from '../domain/action';
import type { PolicyDecision } from '../domain/decision';
import { sameIdentity } from '../domain/identity';
import { isSettled, isTerminal } from '../domain/status';
import { ActionState, SYSTEM, type Transition } from './action-state';
import { evaluatePolicy } from './activities';
import { awaitApprovals } from './approval';
import { publicDecision } from './decision-view';
import { awaitGateResult, runExecution } from './execution';
import { issueGrant, redeemForClaim, registerGrantHandler } from './grant';
import { awaitSettledUpdate, cancelUpdate, decideUpdate, getActionQuery, Refusal, reportResultUpdate, submittedUpdate, type ActionWorkflowInput, type DecideInput } from './messages';
import { checkVoter, isRequesterVoter, quorumReached, staleSignIn } from './quorum';
import { SearchAttributes } from './search-attributes';
import { includes } from './generation';

/** The policy decided at submission and came in the input; histories before this change asked the `evaluatePolicy` activity. */
export const POLICY_DECIDED_AT_SUBMISSION = 'policy-decided-at-submission';

const refuse = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

/**
 * One privileged action from submission to a terminal status, as its story: submitted, decided by policy,
 * approved (or denied, expired, cancelled), then run once. Every step is in the audit chain before the next.
 */
export async function actionWorkflow(input: ActionWorkflowInput): Promise<Action> {
  const a = new ActionState(input);
  registerHandlers(a);
  try {
    await story(a);
  } catch (err) {
    a.noteFault(err);
  }
  if (a.fault) await a.failClosed(a.fault);
  a.finishing = true;
  await condition(allHandlersFinished);
  await a.drained();
  log.info('action finished', { id: input.id, status: a.status });
  a.closed = true;
  return a.snapshot();
}

async function story(a: ActionState): Promise<void> {
  const { input } = a;
  const { submission: sub, requester } = input;
  // The located target goes with the submission, so `policy replay` sees the `execute.target` the policy saw.
  const submitted = a.record([{ type: 'action.submitted', actor: requester.id, data: { submission: sub, requester, ...(input.executeTarget ? { executeTarget: input.executeTarget } : {}) } }]);
  // Slim workflows send the submission, the decision and its outcome as one step: nothing is awaited in between.
  if (!a.slim) await submitted;

  // Decided once, by policy (fail closed when it cannot). A cancel may arrive at any point before approval.
  const given = a.slim && input.decision && includes(a, POLICY_DECIDED_AT_SUBMISSION) ? input.decision : null;
  if (a.status === 'evaluating') a.policy = given ?? (await policyDecision(a));
  const policy = a.policy;
  if (a.status === 'evaluating' && !policy) {
    const reason = 'policy evaluation failed; denied (fail closed)';
    await a.transition({ status: 'denied', reason, events: [{ type: 'action.denied', actor: SYSTEM, data: { by: 'policy', reason } }] });
  }
  if (a.status === 'evaluating' && policy) {
    a.action.decision = publicDecision(policy, null, input.executeHash);
    upsertSearchAttributes([{ key: SearchAttributes.risk, value: policy.risk ?? 'none' } as never]);
    const evaluated = a.record([{ type: 'policy.evaluated', actor: 'policy', data: { decision: policy } }]);
    if (!a.slim) await evaluated;
  }
  if (a.status === 'evaluating' && policy) {
    if (policy.outcome === 'deny') {
      await a.transition({ status: 'denied', reason: policy.reason, events: [{ type: 'action.denied', actor: 'policy', data: { by: 'policy', ruleId: policy.ruleId, reason: policy.reason } }] });
    } else if (policy.outcome === 'allow') {
      const approved = a.transition({ status: 'approved', reason: policy.reason, events: [{ type: 'action.approved', actor: 'policy', data: { by: 'policy', ruleId: policy.ruleId } }, ...issueGrant(a, policy)] });
      // Slim: `execution.started` joins this write, so the approval and the start of its execution are one step;
      // the executor still runs only once that step is written, and an approval not written is no approval.
      void approved.then(() => void (a.approvalRecorded = true), () => undefined);
      if (!a.slim) await approved;
    } else {
      await awaitApprovals(a, policy);
    }
  }

  // Approved: run it, or hand it to the caller (gate mode). Never when the approval could not be recorded.
  // (`executing` here only when the approving vote redeemed the grant for a held gateway call.)
  if ((a.status === 'approved' || (a.status === 'executing' && a.claimRedeemed)) && !a.fault) {
    if (sub.execute.type === 'none') await awaitGateResult(a, a.policy!);
    else await runExecution(a);
  }
  await a.written(); // a handler's last write failing still closes the action
}

async function policyDecision(a: ActionState): Promise<PolicyDecision | null> {
  const { input } = a;
  if (input.decision && includes(a, POLICY_DECIDED_AT_SUBMISSION)) return input.decision;
  try {
    return await evaluatePolicy.executeWithOptions({ summary: 'evaluate policy' }, [{ id: input.id, submission: input.submission, requester: input.requester, submittedAt: input.submittedAt }]);
  } catch (err) {
    log.error('policy evaluation failed; denying', { error: String(err) });
    return null;
  }
}

function registerHandlers(a: ActionState): void {
  const { id, submission: sub, requester } = a.input;
  const state = a.action;
  setHandler(getActionQuery, () => a.visible());
  registerGrantHandler(a);

  // Read-only watches (no validator: anyone the API lets ask may wait). Each answers from the trail's status.
  setHandler(submittedUpdate, async () => {
    await condition(() => a.recordedStatus !== 'evaluating' || a.finishing);
    return a.visible();
  });
  const settled = () => a.finishing || isSettled({ status: a.recordedStatus, execute: state.execute });
  setHandler(awaitSettledUpdate, async ({ timeoutSeconds }) => {
    const seconds = Math.min(300, Math.max(1, Math.floor(Number(timeoutSeconds) || 0)));
    if (!settled()) await condition(settled, seconds * 1000);
    return a.visible();
  });

  const eligibility = (vote: Pick<DecideInput, 'principal' | 'decision'>) => {
    const policy = a.policy;
    if (state.status !== 'pending_approval' || !policy) {
      return { ok: false, refusal: Refusal.actionClosed, message: `action ${id} is ${state.status}; votes are accepted only while it is pending_approval` };
    }
    // Break-glass needs the group both when it was asked for and now: someone removed from on-call since cannot use it.
    const selfApprovalAllowed = sub.breakGlass && policy.breakGlassGroups.some((g) => requester.groups.includes(g) && vote.principal.groups.includes(g));
    return checkVoter({ voter: vote.principal, decision: vote.decision, approvers: state.decision!.approvers, approvals: state.approvals, distinctGroups: policy.distinctGroups, requester, onBehalfOf: sub.onBehalfOf, selfApprovalAllowed });
  };

  setHandler(
    decideUpdate,
    async (vote) => {
      const entry = { principal: vote.principal.id, decision: vote.decision, comment: vote.comment ?? null, at: a.now(), via: vote.via, group: eligibility(vote).group ?? null, ...(vote.authTime ? { authTime: vote.authTime } : {}) };
      state.approvals.push(entry);
      state.updatedAt = entry.at;
      const breakGlass = isRequesterVoter(vote.principal, requester); // as the validator judged it
      // What an approving vote changes besides its entry, put back if its step cannot be written.
      const before = { grant: state.grant, grantExpiresAt: state.grantExpiresAt, claimRedeemed: a.claimRedeemed };
      const t: Transition = { events: [{ type: 'approval.decision', actor: vote.principal.id, data: { ...entry, breakGlass } }], change: { actor: vote.principal.id } };
      if (vote.decision === 'deny') {
        Object.assign(t, { status: 'denied', reason: `denied by ${vote.principal.id}${entry.comment ? `: ${entry.comment}` : ''}` });
        t.events.push({ type: 'action.denied', actor: vote.principal.id, data: { by: 'approver', comment: entry.comment } });
      } else if (breakGlass || quorumReached(state.approvals, a.policy!.quorum)) {
        const approvers = state.approvals.filter((v) => v.decision === 'approve').map((v) => v.principal);
        Object.assign(t, { status: 'approved', reason: breakGlass ? `break-glass self-approval by ${vote.principal.id}` : `approved by ${approvers.join(', ')}` });
        t.events.push({ type: 'action.approved', actor: SYSTEM, data: { by: 'approvers', approvers, breakGlass, reviewRequired: breakGlass } }, ...issueGrant(a, a.policy));
        const redeemed = redeemForClaim(a, vote.claim);
        if (redeemed.length > 0) {
          t.events.push(...redeemed);
          Object.assign(t, { status: 'executing', reason: `${t.reason}; grant redeemed for the held gateway call; the result is due before ${state.grant!.expiresAt}` });
        }
      }
      t.notify = () => (state.status === 'pending_approval' ? ['vote'] : ['vote', 'closed']);
      try {
        await a.transition(t);
      } catch (err) {
        state.approvals.splice(state.approvals.indexOf(entry), 1); // not in the trail: not counted (the action closes, failClosed)
        // Nor its grant, nor a redemption for a held call: the action closes denied, with no grant shown as used.
        if (before.grant === undefined) delete state.grant;
        else state.grant = before.grant;
        state.grantExpiresAt = before.grantExpiresAt;
        a.claimRedeemed = before.claimRedeemed;
        throw err;
      }
      if (state.status === 'approved' || a.claimRedeemed) a.approvalRecorded = true;
      return a.snapshot();
    },
    {
      validator: (vote) => {
        const verdict = eligibility(vote);
        if (!verdict.ok) throw refuse(verdict.refusal!, verdict.message!);
        const stale = staleSignIn(a.policy?.stepUpMaxAgeSeconds, vote, Date.now());
        if (stale) throw refuse(Refusal.stepUpRequired, stale);
      },
    },
  );

  setHandler(
    cancelUpdate,
    async ({ principal, reason }) => {
      if (state.status === 'executing') {
        // The executor is told and reports; the answer is what the action became (cancelled, or done first).
        a.cancelRequest = { principal, reason: reason ?? null, at: a.now() };
        a.stopExecution?.(); // not yet started: runExecution sees the request and does not start it
        await condition(() => a.executionClosed);
        return a.snapshot();
      }
      await a.transition({ status: 'cancelled', reason: `cancelled by ${principal}${reason ? `: ${reason}` : ''}`, events: [{ type: 'action.cancelled', actor: principal, data: { reason: reason ?? null } }], notify: ['closed'] });
      return a.snapshot();
    },
    {
      validator: ({ principal, isAdmin }) => {
        if (!sameIdentity(principal, requester.id) && !isAdmin) throw refuse(Refusal.notAllowed, `only the requester or an admin may cancel ${id}`);
        // While executing, only an execution that runs in a cancellable scope (its plan's) can be stopped, and once.
        const stoppable = state.status === 'executing' && a.executionCancellable && a.cancelRequest === null;
        if (isTerminal(state.status) || (state.status === 'executing' && !stoppable) || (state.status === 'approved' && state.execute.type !== 'none')) {
          const why = a.cancelRequest ? `; ${a.cancelRequest.principal} already asked to cancel it` : '';
          throw refuse(Refusal.actionClosed, `action ${id} is ${state.status} and can no longer be cancelled${why}`);
        }
      },
    },
  );

  setHandler(
    reportResultUpdate,
    async ({ principal, status, output }) => {
      state.result = { status, output: output ?? null, reportedBy: principal };
      await a.transition({ status, reason: null, events: [{ type: status === 'succeeded' ? 'execution.succeeded' : 'execution.failed', actor: principal, data: { mode: 'gate', output: output ?? null } }], notify: ['result'] });
      return a.snapshot();
    },
    {
      validator: ({ principal }) => {
        if (!sameIdentity(principal, requester.id)) throw refuse(Refusal.notAllowed, `only the requester (${requester.id}) reports the result of ${id}`);
        // `executing` after the grant was redeemed; `approved` without a redemption too, as before grants were signed.
        const awaiting = state.status === 'approved' || (state.status === 'executing' && !!state.grant?.redeemedAt);
        if (state.execute.type !== 'none' || !awaiting || state.result) {
          throw refuse(Refusal.notAwaitingResult, `action ${id} is ${state.status}; a result is accepted only for an approved (or, once its grant is redeemed, executing) gate-mode action`);
        }
      },
    },
  );
}
