import type { ActivityParams, ConversationClient } from '@microsoft/teams.api';
import type { ActionChange } from '../../activities';
import type { Action } from '../../domain/action';
import type { Principal } from '../../domain/principal';
import type { Logger } from '../../observability';
import { DeliveryCalls } from '../delivery-calls';
import { escalatedPeople } from '../escalated-people';
import type { ChannelDeliveryError } from '../types';
import type { TeamsCardStore } from './card-store';
import { TEAMS } from './card-ids';
import { clip, literal, outcomeText } from './card-text';
import { classifyTeamsError } from './delivery-failure';
import { ADAPTIVE_CARD_CONTENT_TYPE, requestCard, type CardContext } from './request-card';
import type { TeamsPeople } from './teams-people';

/** The Bot Connector operations the notifier uses (the SDK's conversation client). */
export type BotConnector = Pick<ConversationClient, 'createActivity' | 'updateActivity' | 'create' | 'getMembers'>;

export interface TeamsNotifierDeps {
  connector: BotConnector;
  people: TeamsPeople;
  cards: TeamsCardStore;
  render: CardContext;
  appId: string;
  tenantId: string | undefined;
  defaultConversation: string | undefined;
  log: Logger;
}

/** Escalation messages per step at most: a big group learns of it from the card, not a 1:1 storm. */
const MAX_ESCALATION_MESSAGES = 20;

/**
 * Keeps Teams in step with an action: posts the card, re-renders it in place on every change, tells escalated
 * approvers and the person it was requested for in 1:1 conversations. Runs inside the notification activity,
 * which retries it when the Bot Connector is unavailable; failures that would only repeat are returned.
 */
export class TeamsNotifier {
  constructor(private readonly deps: TeamsNotifierDeps) {}

  async deliver(change: ActionChange): Promise<ChannelDeliveryError[]> {
    const calls = new DeliveryCalls(TEAMS, classifyTeamsError, change, this.deps.log);
    switch (change.kind) {
      case 'requested':
        await this.postCard(change.action, calls);
        break;
      case 'vote':
      case 'result':
        await this.refresh(change.action, calls);
        break;
      case 'escalated':
        await this.refresh(change.action, calls);
        await this.tellEscalated(change, calls);
        break;
      case 'closed':
        await this.refresh(change.action, calls);
        await this.tellRequestedFor(change.action, calls);
        break;
    }
    return calls.failures;
  }

  private async postCard(action: Action, calls: DeliveryCalls): Promise<void> {
    const conversationId = this.conversationFor(action);
    if (!conversationId) {
      this.deps.log.info({ actionId: action.id, ruleId: action.decision?.ruleId }, 'no Teams conversation for this action (rule has no notify.teams, TEAMS_DEFAULT_CONVERSATION unset); not posted');
      return;
    }
    // A retried activity must not post the card twice.
    if (await this.deps.cards.find(action.id)) return;
    const posted = await calls.send('createActivity', conversationId, () => this.deps.connector.createActivity(conversationId, this.cardActivity(action)));
    if (posted?.id) await this.deps.cards.save(action.id, { conversationId, activityId: posted.id });
  }

  private async refresh(action: Action, calls: DeliveryCalls): Promise<void> {
    const where = await this.deps.cards.find(action.id);
    if (!where) return; // never posted (no conversation, or Teams refused): nothing to keep true
    await calls.send('updateActivity', where.conversationId, () => this.deps.connector.updateActivity(where.conversationId, where.activityId, this.cardActivity(action)));
  }

  /** An edited card notifies nobody, so the people an escalation adds are told in a 1:1 conversation. */
  private async tellEscalated(change: ActionChange, calls: DeliveryCalls): Promise<void> {
    const { action, escalation } = change;
    if (!escalation) return;
    const names = [...escalation.groups.map((g) => `group ${g}`), ...escalation.principals].join(', ');
    const text = `🚨 An approval was escalated to you (level ${escalation.level}, ${literal(names)}): ${this.summary(action)}. Approve or deny it on the card in the approvals channel, or at ${this.deps.render.actionUrl(action.id)}.`;
    for (const person of escalatedPeople(action, escalation, this.deps.people).slice(0, MAX_ESCALATION_MESSAGES)) await this.tell(person, action, text, calls);
  }

  /** The person an action was requested on behalf of learns the outcome in a 1:1 conversation. */
  private async tellRequestedFor(action: Action, calls: DeliveryCalls): Promise<void> {
    if (!action.onBehalfOf) return;
    const person = this.deps.people.byPrincipalId(action.onBehalfOf);
    if (!person) return;
    const outcome = outcomeText(action) ?? `**${action.status}**`;
    await this.tell(person, action, `Your request ${this.summary(action)} (${this.deps.render.actionUrl(action.id)}): ${outcome}`, calls);
  }

  private async tell(person: Principal, action: Action, text: string, calls: DeliveryCalls): Promise<void> {
    const account = await this.deps.people.accountOf(person, this.conversationFor(action), (id) => this.deps.connector.getMembers(id));
    if (!account) return;
    const { tenantId, appId } = this.deps;
    const chat = await calls.send('createConversation', account, () =>
      this.deps.connector.create({ isGroup: false, bot: { id: `28:${appId}` }, members: [{ id: account, role: 'user' }], ...(tenantId ? { tenantId, channelData: { tenant: { id: tenantId } } } : {}) }),
    );
    if (chat?.id) await calls.send('createActivity', account, () => this.deps.connector.createActivity(chat.id, { type: 'message', text, textFormat: 'markdown' } as ActivityParams));
  }

  private cardActivity(action: Action): ActivityParams {
    const card = requestCard(action, this.deps.render);
    return { type: 'message', summary: clip(`${action.status === 'pending_approval' ? 'Approval needed' : action.status}: ${action.action} on ${action.resource}`, 250), attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: card }] } as ActivityParams;
  }

  private summary(action: Action): string {
    return `${literal(action.action)} on ${literal(clip(action.resource, 300))} (${literal(action.environment)}), requested by ${literal(action.requester)}`;
  }

  private conversationFor(action: Action): string | undefined {
    return action.decision?.notify?.[TEAMS] ?? this.deps.defaultConversation;
  }
}
