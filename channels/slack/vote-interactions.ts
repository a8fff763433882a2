import type { AllMiddlewareArgs, App, BlockAction, ButtonAction, SlackActionMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { ErrorCode, InterlockError } from '../../core';
import type { CoreLike } from '../types';
import type { Principal } from '../../domain/principal';
import type { Logger } from '../../observability';
import { ActionId, ReasonModal, SLACK } from './interaction-ids';
import { escapeText } from './mrkdwn';
import { readReasonRequest, reasonModal, type ReasonRequest } from './reason-modal';
import { RecentDeliveries } from './recent-deliveries';
import type { SlackPeople } from './slack-people';

export interface VoteDeps {
  actions: CoreLike;
  people: SlackPeople;
  client: WebClient;
  log: Logger;
}

type Click = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;
type Submission = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;
/** Who to tell about a refused vote, and whether this delivery is Slack retrying one we may have taken. */
interface Voter {
  user: string;
  channel: string | null;
  retry: boolean;
}

/** A click on Approve or Deny becomes a vote through the same workflow Update (and validator) as the API's. */
export function registerVoteHandlers(app: App, deps: VoteDeps): void {
  const voting = new SlackVoting(deps);
  app.action<BlockAction<ButtonAction>>(ActionId.approve, (args) => voting.onClick('approve', args));
  app.action<BlockAction<ButtonAction>>(ActionId.deny, (args) => voting.onClick('deny', args));
  // A link button still reports its click; acknowledged so Slack shows no error, the vote is cast in the console.
  app.action<BlockAction<ButtonAction>>(ActionId.openConsole, async ({ ack }) => void (await ack()));
  app.view<ViewSubmitAction>(ReasonModal.callbackId, (args) => voting.onReason(args));
}

class SlackVoting {
  private readonly deliveries = new RecentDeliveries();

  constructor(private readonly deps: VoteDeps) {}

  async onClick(decision: 'approve' | 'deny', { ack, body, action, context }: Click): Promise<void> {
    await ack(); // Slack's 3 s are for the ack; the vote goes through the workflow after it
    const voter: Voter = { user: body.user.id, channel: body.channel?.id ?? null, retry: (context.retryNum ?? 0) > 0 };
    if (!this.deliveries.first(`click:${voter.user}:${action.action_ts}`)) return;
    const actionId = action.value ?? '';
    const principal = await this.principalOr(voter);
    if (!principal) return;
    const current = await this.deps.actions.find(actionId);
    if (!current) return this.tell(voter, `:warning: Interlock has no action ${escapeText(actionId)}.`);
    if (decision === 'deny' || current.decision?.requireJustification) {
      if (current.status !== 'pending_approval') return this.tell(voter, `:no_entry: ${current.id} is ${current.status}; votes are accepted only while it is pending_approval.`);
      const request: ReasonRequest = { actionId, decision, channel: voter.channel };
      try {
        await this.deps.client.views.open({ trigger_id: body.trigger_id, view: reasonModal(request, `${current.action} on ${current.resource} (${current.environment}), requested by ${current.requester}`) });
      } catch (err) {
        this.deps.log.warn({ actionId, err: (err as Error).message }, 'could not open the reason form in Slack');
        return this.tell(voter, `:warning: Slack could not open the form for your reason; click again, or decide with \`POST /v1/actions/${actionId}/decisions\`.`);
      }
      return;
    }
    await this.vote(principal, actionId, decision, null, voter);
  }

  async onReason({ ack, body, view, context }: Submission): Promise<void> {
    const reason = view.state.values[ReasonModal.blockId]?.[ReasonModal.actionId]?.value?.trim();
    if (!reason) return void (await ack({ response_action: 'errors', errors: { [ReasonModal.blockId]: 'Give a reason: it is kept in the audit trail.' } }));
    await ack();
    if (!this.deliveries.first(`view:${view.id}`)) return;
    const request = readReasonRequest(view.private_metadata);
    if (!request) return void this.deps.log.warn({ viewId: view.id }, 'a reason form without Interlock metadata was submitted; ignored');
    const voter: Voter = { user: body.user.id, channel: request.channel, retry: (context.retryNum ?? 0) > 0 };
    const principal = await this.principalOr(voter);
    if (principal) await this.vote(principal, request.actionId, request.decision, reason, voter);
  }

  private async principalOr(voter: Voter): Promise<Principal | undefined> {
    const principal = await this.deps.people.principalFor(voter.user);
    if (!principal) {
      await this.tell(voter, `:no_entry: You are not mapped to an Interlock principal, so your vote was not counted. Ask an Interlock admin to add \`slack: ${voter.user}\` to your entry in principals.yaml.`);
    }
    return principal;
  }

  private async vote(principal: Principal, actionId: string, decision: 'approve' | 'deny', comment: string | null, voter: Voter): Promise<void> {
    try {
      await this.deps.actions.decide(principal, actionId, decision, comment, SLACK); // counted in interlock_votes_total by the core
    } catch (err) {
      // Slack redelivering a click we already counted: the vote stands, nothing to say.
      if (voter.retry && err instanceof InterlockError && err.code === ErrorCode.alreadyVoted) return;
      if (err instanceof InterlockError) return this.tell(voter, `:no_entry: Your ${decision === 'approve' ? 'approval' : 'denial'} of ${actionId} was not counted: ${escapeText(err.message)}`);
      this.deps.log.error({ actionId, err }, 'a Slack vote could not be recorded');
      return this.tell(voter, `:warning: Interlock could not record your vote on ${actionId} just now; try again in a moment.`);
    }
  }

  /** Only the voter sees it: ephemeral in the channel of the click, else a DM. */
  private async tell(voter: Voter, text: string): Promise<void> {
    if (voter.channel) {
      try {
        await this.deps.client.chat.postEphemeral({ channel: voter.channel, user: voter.user, text });
        return;
      } catch (err) {
        this.deps.log.warn({ channel: voter.channel, err: (err as Error).message }, 'ephemeral reply failed; sending a DM instead');
      }
    }
    await this.deps.client.chat.postMessage({ channel: voter.user, text }).catch((err: Error) => this.deps.log.warn({ user: voter.user, err: err.message }, 'could not tell the voter'));
  }
}
