import type { ActionChange } from '../../activities';
import type { Logger } from '../../observability';
import { ChannelDeliveryError } from '../types';
import { classifySlackError } from './delivery-failure';
import { SLACK } from './interaction-ids';

/**
 * The Slack calls of one delivery. Transient failures throw (the notification activity retries them, and
 * records the last attempt's); failures that would only repeat are logged and kept in `failures` for the
 * activity to record, so the rest of the notification still happens.
 */
export class NotificationCalls {
  readonly failures: ChannelDeliveryError[] = [];

  constructor(private readonly change: ActionChange, private readonly log: Logger) {}

  async send<T>(method: string, target: string, call: () => Promise<T>): Promise<T | null> {
    try {
      return await call();
    } catch (err) {
      const { error, transient } = classifySlackError(err);
      this.log.warn({ actionId: this.change.action.id, kind: this.change.kind, method, channel: target, error, transient }, 'Slack call failed');
      const failure = new ChannelDeliveryError(SLACK, method, target, error, transient);
      if (transient) throw failure;
      this.failures.push(failure);
      return null;
    }
  }
}
