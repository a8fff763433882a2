import { ActivityFailure, ApplicationFailure, condition, log, setCurrentDetails, TimeoutFailure, upsertSearchAttributes } from '@temporalio/workflow';
import type { ActionChange } from '../activities/notify';
import type { Action } from '../domain/action';
import type { AuditEventType, NewAuditEvent } from '../domain/audit-event';
import type { PolicyDecision } from '../domain/decision';
import type { ActionStatus } from '../domain/status';
import { notifyActionChange, recordStep, recordStepLocal, reportFailClosed } from './activities';
import { initialAction } from './initial-action';
import type { ActionWorkflowInput } from './messages';
import { SearchAttributes } from './search-attributes';
import { currentDetailsOf } from './story';
import { bakedIn, includes } from './generation';

/**
 * patched() id: workflows from here on write their audit steps as local activities, and every step one activation
 * makes goes in one write (the submission, the policy's decision and its outcome are one step). Histories recorded
 * before it replay the one-activity-per-step path.
 */
export const LOCAL_AUDIT_STEPS = 'local-audit-steps';

/** The actor of the steps Interlock takes itself (expiry, escalation, execution). */
export const SYSTEM = 'interlock';

export interface EventSpec {
  type: AuditEventType;
  actor: string;
  data?: Record<string, unknown>;
}

/** One change of the action: a new status (and why), the events that say so, and who hears about it. */
export interface Transition {
  status?: ActionStatus;
  reason?: string | null;
  events: EventSpec[];
  /** Who hears of it, decided once the events are written (a concurrent step may have moved the status). */
  notify?: ActionChange['kind'][] | (() => ActionChange['kind'][]);
  change?: Partial<ActionChange>;
}

/** Who cancelled a running execution, why, and when. */
export interface CancelRequest {
  principal: string;
  reason: string | null;
  at: string;
}

/** A step that could not be made after its bounded retries. */
export interface Fault {
  activity: string;
  reason: string;
}

/**
 * An action's state and its one way to change: `transition` sets the status, upserts the search attribute,
 * writes the events to the audit chain (in the order the workflow produced them, whichever handler produced
 * them) and tells the channels. Deterministic: only workflow time and workflow APIs.
 */
export class ActionState {
  readonly action: Action;
  policy: PolicyDecision | null = null;
  /** Set when a step failed for good; the workflow then closes the action (fail closed). */
  fault: Fault | null = null;
  /** Whether the trail holds the approval: an approval it could not record is no approval. */
  approvalRecorded = false;
  /** The approving vote redeemed the grant for a held gateway call (`redeemForClaim`): the action is `executing`. */
  claimRedeemed = false;
  /** The patch ids this run has in by its generation (workflows/generation.ts), without their markers. */
  readonly bakedIn: ReadonlySet<string>;
  /** Whether the execution runs in a scope a cancel can stop (actions submitted with a plan). */
  executionCancellable = false;
  /** While an execution that can be cancelled runs: cancels its activity (the executor is told and reports). */
  stopExecution: (() => void) | null = null;
  /** A cancel accepted while executing; the execution's outcome decides what it became. */
  cancelRequest: CancelRequest | null = null;
  /** Set once the execution's outcome is in the trail (or could not be): a cancel waiting on it may answer. */
  executionClosed = false;
  /** Steps are local activities, coalesced per activation (see LOCAL_AUDIT_STEPS). */
  readonly slim: boolean;
  /** Set once the story is over and the workflow waits for its handlers: a watch answers with the final state. */
  finishing = false;
  private eventNo = 0;
  private version = 0;
  private chain: Promise<void> = Promise.resolve();
  /** The step not yet sent (slim only): events recorded until the write before it is done join it. */
  private queued: NewAuditEvent[] | null = null;
  private readonly outbox: ActionChange[] = [];
  private notifying = false;

  /** The action as the trail last recorded it. */
  private published: Action;
  /** Set when the workflow returns: from then on the final state is the answer, recorded or not (its result says why). */
  closed = false;

  constructor(readonly input: ActionWorkflowInput) {
    this.bakedIn = bakedIn(); // first, before any other patch is asked
    this.slim = includes(this, LOCAL_AUDIT_STEPS);
    this.action = initialAction(input);
    this.published = this.snapshot();
    this.describe();
  }

  /**
   * What the getAction query answers: the live action, but with the status, reason and result the trail recorded,
   * so nobody acts on an approval (or a result) the trail may not hold.
   */
  visible(): Action {
    const live = this.snapshot();
    if (this.closed) return live;
    const shown = { ...live, status: this.published.status, statusReason: this.published.statusReason, result: this.published.result };
    // The grant as recorded too: a token is never made from facts the trail does not hold yet.
    if (live.grant !== undefined || this.published.grant !== undefined) shown.grant = this.published.grant ?? null;
    return shown;
  }

  get status(): ActionStatus {
    return this.action.status;
  }

  /** The status the trail holds (the live one may be a step ahead while its write is under way). */
  get recordedStatus(): ActionStatus {
    return this.closed ? this.action.status : this.published.status;
  }

  now(): string {
    return new Date().toISOString(); // workflow time: deterministic on replay
  }

  snapshot(): Action {
    return JSON.parse(JSON.stringify(this.action)); // no structuredClone in the workflow sandbox
  }

  setStatus(status: ActionStatus, reason: string | null = this.action.statusReason): void {
    this.action.status = status;
    this.action.statusReason = reason;
    this.action.updatedAt = this.now();
    upsertSearchAttributes([{ key: SearchAttributes.status, value: status } as never]);
    this.describe();
  }

  /** What Temporal UI shows as the workflow's current details; no command, so replay is unaffected. */
  describe(): void {
    setCurrentDetails(currentDetailsOf(this.action, this.policy, this.input.submittedAt));
  }

  async transition(t: Transition): Promise<void> {
    if (t.status) this.setStatus(t.status, t.reason === undefined ? this.action.statusReason : t.reason);
    else this.describe(); // a vote or an escalation changes what it waits for
    await this.record(t.events);
    for (const kind of (typeof t.notify === 'function' ? t.notify() : t.notify) ?? []) this.notify(kind, t.change);
  }

  /** Appends events after every earlier write; a write that failed for good sets `fault` and stops the chain. */
  record(events: EventSpec[]): Promise<void> {
    const batch: NewAuditEvent[] = events.map((e) => ({
      id: `${this.input.id}:${++this.eventNo}:${e.type}`,
      actionId: this.input.id,
      type: e.type,
      actor: e.actor,
      at: this.now(),
      data: e.data ?? {},
      policyVersion: this.policy?.policyVersion ?? null,
    }));
    if (this.slim) return this.enqueue(batch);
    const step = { events: batch, action: this.snapshot(), version: ++this.version };
    const written = this.chain.then(() => recordStep.executeWithOptions({ summary: `audit: ${events.map((e) => e.type).join(', ')}` }, [step]));
    this.chain = written;
    written.then(
      () => void (this.published = step.action),
      (err) => void (this.fault ??= faultOf(err, 'recordStep')),
    );
    return written;
  }

  /**
   * Joins the step not yet sent, or opens one that is sent once every earlier write is done: what the workflow
   * records in the meantime goes in the same write, with the action as it is when the write is sent.
   */
  private enqueue(batch: NewAuditEvent[]): Promise<void> {
    if (this.queued) {
      this.queued.push(...batch);
      return this.chain;
    }
    const events = batch;
    this.queued = events;
    let sent: Action | null = null;
    const written = this.chain.then(() => {
      if (this.queued === events) this.queued = null;
      sent = this.snapshot();
      const step = { events, action: sent, version: ++this.version };
      return recordStepLocal.executeWithOptions({ summary: `audit: ${events.map((e) => e.type).join(', ')}` }, [step]);
    });
    this.chain = written;
    written.then(
      () => void (this.published = sent!),
      (err) => void (this.fault ??= faultOf(err, 'recordStep')),
    );
    return written;
  }

  /** Resolves when every write so far is done; rejects when one failed for good. */
  written(): Promise<void> {
    return this.chain;
  }

  /** Notifications run on their own ordered queue: a slow or failing channel never holds up a decision. */
  notify(kind: ActionChange['kind'], extra: Partial<ActionChange> = {}): void {
    if (!this.policy || this.policy.outcome !== 'require_approval') return;
    if (this.input.notify === false) return; // no channel configured: no activity that would tell nobody
    this.outbox.push({ kind, action: this.snapshot(), ...extra });
    if (this.notifying) return;
    this.notifying = true;
    void (async () => {
      while (this.outbox.length > 0) {
        const change = this.outbox.shift()!;
        try {
          await notifyActionChange.executeWithOptions({ summary: `notify: ${change.kind}` }, [change]);
        } catch (err) {
          log.warn('notification failed; the action goes on', { kind: change.kind, error: String(err) });
        }
      }
      this.notifying = false;
    })();
  }

  /** Notes a step that failed for good, when `err` is one (an activity out of retries); otherwise rethrows. */
  noteFault(err: unknown): void {
    // A local activity out of retries fails with its own error (an ApplicationFailure, or a TimeoutFailure), unwrapped.
    if (!(err instanceof ActivityFailure || (this.slim && (err instanceof ApplicationFailure || err instanceof TimeoutFailure)))) throw err;
    this.fault ??= faultOf(err, 'recordStep');
  }

  /** Closes the action because a step could not be made: `denied` before approval, `failed` after, the reason kept. */
  async failClosed(f: Fault): Promise<void> {
    // Judged by what the trail holds, not by the status the workflow had already moved on to.
    const recorded = this.published.status;
    const open = recorded === 'evaluating' || recorded === 'pending_approval' || recorded === 'approved' || recorded === 'executing';
    const before = open && !this.approvalRecorded;
    const reason = `${f.activity} failed after its bounded retries (${f.reason}); ${before ? 'denied' : 'failed'} (fail closed)`;
    if (open) {
      if (!before) this.action.result = { ...(this.action.result ?? {}), status: 'failed', error: reason };
      this.setStatus(before ? 'denied' : 'failed', reason);
    } else {
      this.action.statusReason = this.action.statusReason ? `${this.action.statusReason}; ${reason}` : reason; // already closed in the trail
      this.action.updatedAt = this.now();
    }
    log.error('action closed: a step could not be made', { id: this.input.id, status: this.status, activity: f.activity, reason: f.reason });
    await reportFailClosed({ actionId: this.input.id, status: this.status, activity: f.activity, reason: f.reason });
    // One more try to leave the closing in the trail; if the trail is still down, the workflow result says why.
    this.chain = Promise.resolve();
    this.queued = null;
    const type = this.status === 'failed' ? 'execution.failed' : this.status === 'denied' ? 'action.denied' : null;
    if (type) await this.record([{ type, actor: SYSTEM, data: { by: 'interlock', failClosed: true, activity: f.activity, reason } }]).catch(() => undefined);
    this.notify('closed');
  }

  /** Waits until every write and notification is done, so the workflow closes with nothing in flight. */
  async drained(): Promise<void> {
    await this.chain.catch(() => undefined); // already reported by failClosed, or by the refused Update
    await condition(() => !this.notifying);
  }
}

/** What a person needs to know about a step that failed for good: which activity, and its last error. */
export function faultOf(err: unknown, activity: string): Fault {
  const e = err as { activityType?: string; cause?: { message?: string }; message?: string };
  return { activity: e.activityType ?? activity, reason: e.cause?.message ?? e.message ?? String(err) };
}
