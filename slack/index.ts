import { App, LogLevel } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { ActionNotifier } from '../activities';
import type { ActionCore } from '../core';
import { temporalUiLink } from '../config';
import type { Services } from '../stack/services';
import { boltLogger } from './bolt-logger';
import { slackClientOptions } from './client-options';
import { FastifyReceiver } from './fastify-receiver';
import { SlackMessageStore } from './message-store';
import { NotificationCalls } from './notification-calls';
import type { MessageContext } from './request-message';
import { SlackNotifier } from './slack-notifier';
import { SlackPeople } from './slack-people';
import { registerVoteHandlers } from './vote-interactions';

export interface SlackIntegration {
  notifier: ActionNotifier;
  mount(app: FastifyInstance, actions: ActionCore): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Slack is off unless SLACK_BOT_TOKEN is set. One Bolt app per process: over HTTP it is served by the API's
 * own server on `POST /slack/events`; with SLACK_APP_TOKEN it connects out over Socket Mode instead.
 */
export async function createSlackIntegration({ services }: { services: Services; temporal: Client }): Promise<SlackIntegration | null> {
  const { config } = services;
  const slack = config.slack;
  if (!slack) return null;
  const log = services.log.child({ room: 'slack' });
  const client = new WebClient(slack.botToken, { ...slackClientOptions(slack), logger: boltLogger(log) });
  const people = new SlackPeople(services.principals, client, log);
  const render: MessageContext = {
    actionUrl: (id) => `${config.publicUrl}/v1/actions/${encodeURIComponent(id)}`,
    temporalUrl: (id) => temporalUiLink(config, id),
    slackIdsOf: (group) => people.boundSlackIdsOf(group),
  };
  const calls = new NotificationCalls(services.audit, log);
  const notifier = new SlackNotifier({ client, people, messages: new SlackMessageStore(services.database.db), calls, render, defaultChannel: slack.defaultChannel, log });

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
    notifier,
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
