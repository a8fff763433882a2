// The Slack channel: posts each request with Approve and Deny buttons, keeps it true, and votes through the core.
import { App, LogLevel } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { temporalUiLink } from '../../config';
import type { Services } from '../../services';
import { boltLogger } from './bolt-logger';
import { slackClientOptions } from './client-options';
import { FastifyReceiver } from './fastify-receiver';
import { SlackMessageStore } from './message-store';
import type { MessageContext } from './request-message';
import { SlackNotifier } from './slack-notifier';
import { SlackPeople } from './slack-people';
import { SLACK } from './interaction-ids';
import { registerVoteHandlers } from './vote-interactions';
import type { Channel } from '../types';

/** Slack as a channel: it always has an inbound side (buttons) and a connection to stop. */
export type SlackIntegration = Channel & Required<Pick<Channel, 'mount' | 'stop'>>;

/**
 * Slack is off unless SLACK_BOT_TOKEN is set. One Bolt app per process: over HTTP it is served by the API's
 * own server on `POST /slack/events`; with SLACK_APP_TOKEN it connects out over Socket Mode instead.
 */
export async function createSlackIntegration({ services }: { services: Services }): Promise<SlackIntegration | null> {
  const { config } = services;
  const slack = config.slack;
  if (!slack) return null;
  const log = services.log.child({ room: 'slack' });
  const client = new WebClient(slack.botToken, { ...slackClientOptions(slack), logger: boltLogger(log) });
  const people = new SlackPeople(services.principals, client, log);
  const render: MessageContext = {
    actionUrl: (id) => `${config.publicUrl}/v1/actions/${encodeURIComponent(id)}`,
    consoleUrl: (id) => `${config.publicUrl}/console/actions/${encodeURIComponent(id)}`,
    temporalUrl: (id) => temporalUiLink(config, id),
    slackIdsOf: (group) => people.boundSlackIdsOf(group),
  };
  const notifier = new SlackNotifier({ client, people, messages: new SlackMessageStore(services.database.db), render, defaultChannel: slack.defaultChannel, log });

  const socketMode = !!slack.appToken;
  const receiver = socketMode ? undefined : new FastifyReceiver({ signingSecret: slack.signingSecret, log });
  const app = new App({
    ...(receiver ? { receiver } : { socketMode: true, appToken: slack.appToken }),
    // One workspace, one bot token; no auth.test round trip before the first click can be handled.
    authorize: async () => ({ botToken: slack.botToken }),
    clientOptions: slackClientOptions(slack),
    logger: boltLogger(log),
    logLevel: LogLevel.WARN,
    convoStore: false,
  });
  app.error(async (err) => log.error({ err: err.message, code: err.code }, 'a Slack listener failed'));

  // Socket Mode: a Slack that cannot be reached at start-up must not keep the API from serving; keep trying.
  let stopped = false;
  let reconnect: NodeJS.Timeout | undefined;
  const connectSocket = (delayMs = 5000): void => {
    app.start().then(
      () => log.info('Slack Socket Mode connected'),
      (err: Error) => {
        log.error({ err: err.message, retryInSeconds: delayMs / 1000 }, 'Slack Socket Mode could not connect; check SLACK_APP_TOKEN (xapp-..., scope connections:write) and the network');
        if (!stopped) reconnect = setTimeout(() => connectSocket(Math.min(delayMs * 2, 300_000)), delayMs).unref();
      },
    );
  };

  return {
    name: SLACK,
    deliver: (change) => notifier.deliver(change),
    async mount(api, actions) {
      registerVoteHandlers(app, { actions, people, client, log });
      if (receiver) return void (await api.register(receiver.plugin));
      connectSocket();
    },
    async stop() {
      stopped = true;
      clearTimeout(reconnect);
      if (socketMode) await app.stop().catch(() => {});
    },
  };
}
