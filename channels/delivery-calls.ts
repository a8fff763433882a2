import type { ActionChange } from '../activities';
import type { Logger } from '../observability';
import { ChannelDeliveryError } from './types';

/** What a failed call to a channel's platform means: the platform's error, and whether asking again may help. */
export type DeliveryErrorClassifier = (err: unknown) => { transient: boolean; error: string };

/**
 * The platform calls of one delivery. Transient failures throw (the notification activity retries them, and
 * records the last attempt's); failures that would only repeat are logged and kept in `failures` for the
 * activity to record, so the rest of the notification still happens.
 */
export class DeliveryCalls {
  readonly failures: ChannelDeliveryError[] = [];

  constructor(private readonly channel: string, private readonly classify: DeliveryErrorClassifier, private readonly change: ActionChange, private readonly log: Logger) {}

  async send<T>(method: string, target: string, call: () => Promise<T>): Promise<T | null> {
    try {
      return await call();
    } catch (err) {
      const { error, transient } = this.classify(err);
      this.log.warn({ actionId: this.change.action.id, kind: this.change.kind, method, channel: target, error, transient }, `${this.channel} call failed`);
      const failure = new ChannelDeliveryError(this.channel, method, target, error, transient);
      if (transient) throw failure;
      this.failures.push(failure);
      return null;
    }
  }
}
