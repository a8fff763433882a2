import type { FastifyInstance } from 'fastify';
import type { ActionChange } from '../activities';
import type { ActionCore } from '../core';

/** What a channel's inbound side needs of the application: read an action, vote on it. */
export type CoreLike = Pick<ActionCore, 'find' | 'decide'>;

/** A place people hear about actions and may decide them (Slack today; Teams, e-mail later). */
export interface Channel {
  /** The channel's name: the policy's `notify` key, a vote's `via` and the failure metric's label ("slack"). */
  readonly name: string;
  /**
   * Brings the channel in step with one change of an action (post, update, DM). Throws a transient
   * ChannelDeliveryError to be retried; returns the permanent failures (e.g. a DM that failed while the
   * channel post worked), which the notification activity records and skips.
   */
  deliver(change: ActionChange): Promise<ChannelDeliveryError[]>;
  /** Inbound (buttons): mounts routes on the API server, voting through the application core. */
  mount?(app: FastifyInstance, core: CoreLike): Promise<void>;
  stop?(): Promise<void>;
}

/** One call to a channel that did not reach people; `transient` says whether asking again may help. */
export class ChannelDeliveryError extends Error {
  override readonly name = 'ChannelDeliveryError';
  constructor(
    readonly channel: string,
    /** The channel's own operation (Slack: the Web API method). */
    readonly method: string,
    /** Where it was sent: a channel, a conversation, a user. */
    readonly target: string,
    readonly error: string,
    readonly transient: boolean,
  ) {
    super(`${channel} ${method} to ${target} failed: ${error}${transient ? '; the notification is retried' : ''}`);
  }
}
