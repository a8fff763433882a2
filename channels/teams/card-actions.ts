import type { AdaptiveCardActionResponse, IAdaptiveCardActionInvokeActivity, TeamsChannelAccount } from '@microsoft/teams.api';
import type { App } from '@microsoft/teams.apps';
import { ErrorCode, InterlockError } from '../../core';
import type { Action } from '../../domain/action';
import type { Logger } from '../../observability';
import type { CoreLike } from '../types';
import { ReasonInput, TEAMS, Verb } from './card-ids';
import { ADAPTIVE_CARD_CONTENT_TYPE, requestCard, type CardContext, type CardNotice } from './request-card';
import type { TeamsPeople } from './teams-people';

export interface CardActionDeps {
  actions: CoreLike;
  people: TeamsPeople;
  render: CardContext;
  log: Logger;
}

/**
 * A click on Approve or Deny (an `adaptiveCard/action` invoke, its token already verified by the SDK) becomes
 * a vote through the same workflow Update, and validator, as the API's. The answer is the card as it now is,
 * with the outcome for the person who clicked: a refusal is shown to them there, and changes nothing.
 */
export function registerCardActions(app: App, deps: CardActionDeps): void {
  app.on('card.action', async ({ activity, api }) => cardActionResponse(activity, deps, (conversationId, userId) => api.conversations.getMemberById(conversationId, userId)));
}

type MemberLookup = (conversationId: string, userId: string) => Promise<TeamsChannelAccount>;

async function cardActionResponse(activity: IAdaptiveCardActionInvokeActivity, deps: CardActionDeps, member: MemberLookup): Promise<AdaptiveCardActionResponse> {
  const { verb, data } = activity.value?.action ?? {};
  const decision = verb === Verb.approve ? 'approve' : verb === Verb.deny ? 'deny' : null;
  const actionId = typeof data?.actionId === 'string' ? data.actionId : '';
  if (!decision || !actionId) return message(`Interlock does not know this card action (${String(verb)}); nothing was changed.`);
  const current = await deps.actions.find(actionId);
  if (!current) return message(`Interlock has no action ${actionId}.`);
  const answer = (action: Action, notice: CardNotice) => card(action, deps.render, notice);

  const principal = await deps.people.principalFor(activity.from, () => member(activity.conversation.id, activity.from.id));
  if (!principal) {
    const id = activity.from.aadObjectId ?? activity.from.id;
    return answer(current, { tone: 'attention', text: `Your vote was not counted: you are not mapped to an Interlock principal. Ask an Interlock admin to add "teams: ${id}" to your entry in principals.yaml.` });
  }
  const rawReason = data?.[decision === 'approve' ? ReasonInput.approve : ReasonInput.deny];
  const reason = typeof rawReason === 'string' && rawReason.trim() ? rawReason.trim().slice(0, 2000) : null;
  if (!reason && (decision === 'deny' || current.decision?.requireJustification)) {
    return answer(current, { tone: 'attention', text: `Your ${decision === 'approve' ? 'approval' : 'denial'} was not counted: give a reason (it is kept in the audit trail).` });
  }
  try {
    const after = await deps.actions.decide(principal, actionId, decision, reason, TEAMS); // counted in interlock_votes_total by the core
    return answer(after, { tone: 'good', text: `Your ${decision === 'approve' ? 'approval' : 'denial'} was counted, ${principal.id}.` });
  } catch (err) {
    if (err instanceof InterlockError) {
      const already = err.code === ErrorCode.alreadyVoted;
      return answer((await deps.actions.find(actionId)) ?? current, { tone: already ? 'warning' : 'attention', text: `Your ${decision === 'approve' ? 'approval' : 'denial'} was not counted: ${err.message}` });
    }
    deps.log.error({ actionId, err: (err as Error).message }, 'a Teams vote could not be recorded');
    return answer(current, { tone: 'attention', text: 'Interlock could not record your vote just now; try again in a moment.' });
  }
}

function card(action: Action, render: CardContext, notice: CardNotice): AdaptiveCardActionResponse {
  return { statusCode: 200, type: ADAPTIVE_CARD_CONTENT_TYPE, value: requestCard(action, render, notice) as never };
}

function message(text: string): AdaptiveCardActionResponse {
  return { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: text };
}
