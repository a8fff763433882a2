import type { ActionChange } from '../../activities';
import type { Logger } from '../../observability';
import { DeliveryCalls } from '../delivery-calls';
import { classifySlackError } from './delivery-failure';
import { SLACK } from './interaction-ids';

/** The Slack calls of one delivery: Slack's errors classified as Slack documents them (see DeliveryCalls). */
export class NotificationCalls extends DeliveryCalls {
  constructor(change: ActionChange, log: Logger) {
    super(SLACK, classifySlackError, change, log);
  }
}
