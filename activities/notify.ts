import { ApplicationFailure, Context } from '@temporalio/activity';
import type { AuditWriter } from '../audit';
import { ChannelDeliveryError, type Channel } from '../channels/types';
import type { Action } from '../domain/action';
import { AuditEventType } from '../domain/audit-event';
import type { Metrics } from '../observability';

/** A change people should hear about (on every channel). Carries the whole action as it was at that moment. */
export interface ActionChange {
  kind: 'requested' | 'vote' | 'escalated' | 'closed' | 'result';
  action: Action;
  actor?: string;
  escalation?: { level: number; groups: string[]; principals: string[] };
}

export interface NotifyDeps {
  channels: readonly Channel[];
  audit: AuditWriter;
  metrics?: Metrics;
}

/**
 * Hands one change to every channel. A channel's permanent failures, and on the last attempt its transient
 * ones, are written as `notification.failed` (here, never by the channel) and counted; a transient failure
 * otherwise fails the activity so Temporal retries it (bounded by the workflow's retry policy). A channel
 * that fails never keeps the others from being told.
 */
export function createNotifyActivity({ channels, audit, metrics }: NotifyDeps) {
  return async function notifyActionChange(change: ActionChange): Promise<void> {
    // A retry is for the channels that failed: one that was told already (Slack's escalation thread) is not told twice.
    const delivered = new Set(deliveredBefore());
    const pending = channels.filter((c) => !delivered.has(c.name));
    const settled = await Promise.allSettled(pending.map((c) => c.deliver(change)));
    const permanent: ChannelDeliveryError[] = [];
    const transient: ChannelDeliveryError[] = [];
    settled.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') {
        delivered.add(pending[i].name);
        return void permanent.push(...outcome.value);
      }
      const failure = asDeliveryError(pending[i].name, outcome.reason);
      (failure.transient ? transient : permanent).push(failure);
      if (!failure.transient) delivered.add(pending[i].name);
    });
    const recorded = isFinalAttempt() ? [...permanent, ...transient] : permanent;
    if (recorded.length > 0) {
      // A retry may meet the same permanent failure again: the event id makes it one event, the counter counts each failed try.
      for (const f of recorded) metrics?.notificationsFailed.inc({ channel: f.channel });
      await audit.append(recorded.map((f) => failedEvent(change, f)));
    }
    if (transient.length > 0) {
      rememberDelivered([...delivered]);
      throw ApplicationFailure.retryable(transient.map((f) => f.message).join('; '), 'ChannelUnavailable');
    }
  };
}

/** A channel that threw something else broke its contract: treated as transient, so it is retried and then recorded. */
function asDeliveryError(channel: string, err: unknown): ChannelDeliveryError {
  if (err instanceof ChannelDeliveryError) return err;
  return new ChannelDeliveryError(channel, 'deliver', '', err instanceof Error ? err.message : String(err), true);
}

function failedEvent(change: ActionChange, f: ChannelDeliveryError) {
  const { action } = change;
  // Deterministic: a retried activity that fails the same way finds this event already written.
  const step = change.kind === 'vote' ? action.approvals.length : change.kind === 'escalated' ? (change.escalation?.level ?? 0) : 0;
  return {
    id: `${action.id}:${f.channel}:${change.kind}:${step}:${f.method}:${f.target}`,
    actionId: action.id,
    type: AuditEventType.notificationFailed,
    actor: 'interlock',
    at: new Date().toISOString(),
    // `channel` is where it was sent (kept from before channels were a seam; the Slack test pins it); the channel's name is in the id.
    data: { channel: f.target, error: f.error, kind: change.kind, method: f.method },
    policyVersion: action.decision?.policyVersion ?? null,
  };
}

/** The channels an earlier attempt of this activity delivered to (kept in its heartbeat details; none outside an activity). */
function deliveredBefore(): string[] {
  try {
    const details: unknown = Context.current().info.heartbeatDetails;
    return Array.isArray(details) ? details.filter((d): d is string => typeof d === 'string') : [];
  } catch {
    return [];
  }
}

function rememberDelivered(names: string[]): void {
  try {
    Context.current().heartbeat(names);
  } catch {
    /* outside an activity: nothing retries, nothing to remember */
  }
}

/** Whether this is the activity's last try (always true outside an activity). */
function isFinalAttempt(): boolean {
  try {
    const { attempt, retryPolicy } = Context.current().info;
    return !retryPolicy?.maximumAttempts || attempt >= retryPolicy.maximumAttempts;
  } catch {
    return true;
  }
}
