import type { ActionChange } from '../../activities';
import type { AuditWriter } from '../../audit';
import type { Logger } from '../../observability';
import { classifySlackError, isFinalAttempt, SlackUnavailableError } from './delivery-failure';

/**
 * Makes the notifier's Slack calls. Transient failures throw (the notification activity retries them, and the
 * last attempt's failure is audited); failures that would only repeat are logged, audited once and skipped, so
 * the rest of the notification still happens.
 */
export class NotificationCalls {
  constructor(private readonly audit: AuditWriter, private readonly log: Logger) {}

  async send<T>(change: ActionChange, method: string, target: string, call: () => Promise<T>): Promise<T | null> {
    try {
      return await call();
    } catch (err) {
      const failure = classifySlackError(err);
      this.log.warn({ actionId: change.action.id, kind: change.kind, method, channel: target, error: failure.error, transient: failure.transient }, 'Slack call failed');
      if (!failure.transient || isFinalAttempt()) await this.recordFailure(change, method, target, failure.error);
      if (failure.transient) throw new SlackUnavailableError(method, failure.error);
      return null;
    }
  }

  private async recordFailure(change: ActionChange, method: string, channel: string, error: string): Promise<void> {
    const { action } = change;
    // Deterministic: a retried activity that fails the same way finds this event already written.
    const step = change.kind === 'vote' ? action.approvals.length : change.kind === 'escalated' ? (change.escalation?.level ?? 0) : 0;
    await this.audit.append([
      {
        id: `${action.id}:slack:${change.kind}:${step}:${method}:${channel}`,
        actionId: action.id,
        type: 'notification.failed',
        actor: 'interlock',
        at: new Date().toISOString(),
        data: { channel, error, kind: change.kind, method },
        policyVersion: action.decision?.policyVersion ?? null,
      },
    ]);
  }
}
