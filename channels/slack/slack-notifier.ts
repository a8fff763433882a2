import type { WebClient } from '@slack/web-api';
import type { ActionChange } from '../../activities';
import type { Action } from '../../domain/action';
import type { Logger } from '../../observability';
import { escalatedPeople } from '../escalated-people';
import type { ChannelDeliveryError } from '../types';
import { outcomeSentence } from './decision-lines';
import { SLACK } from './interaction-ids';
import type { MessageLocation, SlackMessageStore } from './message-store';
import { clip, escapeText, mention } from './mrkdwn';
import { NotificationCalls } from './notification-calls';
import { requestMessage, type MessageContext } from './request-message';
import type { SlackPeople } from './slack-people';

export interface SlackNotifierDeps {
  client: WebClient;
  people: SlackPeople;
  messages: SlackMessageStore;
  render: MessageContext;
  defaultChannel: string | undefined;
  log: Logger;
}

/** Escalation DMs per step at most: a big group is reached through the channel mention, not a DM storm. */
const MAX_ESCALATION_DMS = 20;

/**
 * Keeps Slack in step with an action: posts the request, re-renders it on every change, reaches escalated
 * approvers and tells the person it was requested for. Runs inside the notification activity, which retries
 * it when Slack is unavailable; errors that would only repeat are returned for the activity to record, never thrown.
 */
export class SlackNotifier {
  constructor(private readonly deps: SlackNotifierDeps) {}

  async deliver(change: ActionChange): Promise<ChannelDeliveryError[]> {
    const calls = new NotificationCalls(change, this.deps.log);
    switch (change.kind) {
      case 'requested':
        await this.postRequest(change, calls);
        break;
      case 'vote':
      case 'result':
        await this.refresh(change, calls);
        break;
      case 'escalated':
        await this.announceEscalation(change, await this.refresh(change, calls), calls);
        break;
      case 'closed':
        await this.refresh(change, calls);
        await this.tellRequestedFor(change, calls);
        break;
    }
    return calls.failures;
  }

  private async postRequest(change: ActionChange, calls: NotificationCalls): Promise<void> {
    const { action } = change;
    const channel = this.channelFor(action);
    if (!channel) {
      this.deps.log.info({ actionId: action.id, ruleId: action.decision?.ruleId }, 'no Slack channel for this action (rule has no notify.slack, SLACK_DEFAULT_CHANNEL unset); not posted');
      return;
    }
    // A retried activity must not post the request twice.
    if (await this.deps.messages.find(action.id)) return;
    const message = requestMessage(action, this.deps.render);
    const posted = await calls.send('chat.postMessage', channel, () =>
      this.deps.client.chat.postMessage({ channel, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false }),
    );
    if (posted?.ts) await this.deps.messages.save(action.id, { channel: posted.channel ?? channel, ts: posted.ts });
  }

  /** Brings the request message up to date; returns where it is (undefined when it was never posted). */
  private async refresh(change: ActionChange, calls: NotificationCalls): Promise<MessageLocation | null> {
    const where = await this.deps.messages.find(change.action.id);
    if (!where) return null; // never posted (no channel, or Slack refused): nothing to keep true
    const message = requestMessage(change.action, this.deps.render);
    await calls.send('chat.update', where.channel, () => this.deps.client.chat.update({ channel: where.channel, ts: where.ts, text: message.text, blocks: message.blocks }));
    return where;
  }

  /** Edits do not notify anyone, so the people an escalation adds get a thread reply that mentions them, and a DM. */
  private async announceEscalation(change: ActionChange, where: MessageLocation | null, calls: NotificationCalls): Promise<void> {
    const { action, escalation } = change;
    if (!escalation) return;
    const added = escalatedPeople(action, escalation, this.deps.people);
    const slackIds = [...new Set((await Promise.all(added.map((p) => this.deps.people.slackIdOf(p)))).filter((id): id is string => !!id))];
    const names = [...escalation.groups.map((g) => `group ${g}`), ...escalation.principals].join(', ');
    const summary = `\`${escapeText(action.action)}\` on \`${escapeText(clip(action.resource, 300))}\` (${escapeText(action.environment)}), requested by ${escapeText(action.requester)}`;
    const channel = where?.channel ?? this.channelFor(action);
    let permalink: string | undefined;
    if (channel) {
      const who = slackIds.length ? slackIds.map(mention).join(' ') : '_no member of these groups is mapped to Slack_';
      const text = `:rotating_light: Escalated (level ${escalation.level}) to ${escapeText(names)}: ${who}, please approve or deny ${summary}.`;
      await calls.send('chat.postMessage', channel, () => this.deps.client.chat.postMessage({ channel, text, thread_ts: where?.ts }));
      if (where) permalink = (await calls.send('chat.getPermalink', channel, () => this.deps.client.chat.getPermalink({ channel: where.channel, message_ts: where.ts })))?.permalink;
    }
    for (const user of slackIds.slice(0, MAX_ESCALATION_DMS)) {
      const open = permalink ? ` <${permalink}|Open the request> to decide.` : ` See <${this.deps.render.actionUrl(action.id)}|${action.id}>.`;
      const text = `:rotating_light: An approval was escalated to you (${escapeText(names)}): ${summary}.${open}`;
      await calls.send('chat.postMessage', user, () => this.deps.client.chat.postMessage({ channel: user, text }));
    }
  }

  /** The person an action was requested on behalf of learns the outcome in a DM. */
  private async tellRequestedFor(change: ActionChange, calls: NotificationCalls): Promise<void> {
    const { action } = change;
    if (!action.onBehalfOf) return;
    const principal = this.deps.people.byPrincipalId(action.onBehalfOf);
    const user = principal ? await this.deps.people.slackIdOf(principal) : undefined;
    if (!user) return;
    const text = outcomeSentence(action, this.deps.render.actionUrl);
    await calls.send('chat.postMessage', user, () => this.deps.client.chat.postMessage({ channel: user, text }));
  }

  private channelFor(action: Action): string | undefined {
    // Snapshots from before the `notify` key carry `slackChannel`.
    return action.decision?.notify?.[SLACK] ?? action.decision?.slackChannel ?? this.deps.defaultChannel;
  }
}
