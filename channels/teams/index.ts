// The Microsoft Teams channel: posts each request as an Adaptive Card, keeps it true in place, and votes through the core.
import { temporalUiLink } from '../../config';
import type { Services } from '../../services';
import type { Channel } from '../types';
import { clientCredentialsToken } from './bot-token';
import { registerCardActions } from './card-actions';
import { TEAMS, TEAMS_MESSAGES_PATH } from './card-ids';
import { TeamsCardStore } from './card-store';
import { FastifyTeamsAdapter } from './fastify-adapter';
import type { CardContext } from './request-card';
import { teamsSdkLogger } from './sdk-logger';
import { TeamsNotifier } from './teams-notifier';
import { TeamsPeople } from './teams-people';

const BOT_CONNECTOR_TIMEOUT_MS = 10_000;
/** The Bot Connector's global endpoint for proactive messages (the SDK's own default). */
const PUBLIC_BOT_CONNECTOR = 'https://smba.trafficmanager.net/teams';

/** Teams as a channel: it always has an inbound side (card actions on `POST /teams/messages`). */
export type TeamsIntegration = Channel & Required<Pick<Channel, 'mount' | 'stop'>>;

/**
 * Teams is off unless TEAMS_APP_ID and TEAMS_APP_PASSWORD are set. Built on the Teams SDK (`@microsoft/teams.apps`
 * 2.0, the last line for Node 20): its Bot Framework token validation guards the route, its Bot Connector client
 * posts and updates cards. TEAMS_TENANT_ID makes the bot single-tenant; unset, it is multi-tenant.
 */
export async function createTeamsIntegration({ services }: { services: Services }): Promise<TeamsIntegration | null> {
  const { config } = services;
  const teams = config.teams;
  if (!teams) return null;
  // Loaded only when Teams is on: the SDK (and the Express, axios and MSAL under it) costs every other process start-up time.
  const [{ App }, { PUBLIC, withOverrides }] = await Promise.all([import('@microsoft/teams.apps'), import('@microsoft/teams.api')]);
  const log = services.log.child({ room: 'teams' });
  const adapter = new FastifyTeamsAdapter(log);
  const app = new App({
    // Every setting is given, empty rather than unset: the SDK falls back to CLIENT_SECRET, TENANT_ID and SERVICE_URL
    // from the environment for a missing one, names too generic to be ours.
    clientId: teams.appId,
    tenantId: teams.tenantId ?? '',
    // TEAMS_TOKEN_URL: the same client-credentials grant, to that endpoint; otherwise the SDK's MSAL asks Entra ID.
    ...(teams.tokenUrl ? { clientSecret: '', token: clientCredentialsToken(teams.tokenUrl, teams.appId, teams.appPassword) } : { clientSecret: teams.appPassword }),
    serviceUrl: teams.serviceUrl ?? PUBLIC_BOT_CONNECTOR,
    cloud: teams.openIdMetadataUrl ? withOverrides(PUBLIC, { openIdMetadataUrl: teams.openIdMetadataUrl }) : PUBLIC,
    // Every Bot Connector call is bounded, so a hanging Teams fails the attempt and the notification activity retries it.
    client: { timeout: BOT_CONNECTOR_TIMEOUT_MS },
    httpServerAdapter: adapter,
    messagingEndpoint: TEAMS_MESSAGES_PATH,
    dangerouslyAllowUnauthenticatedRequests: false,
    oauth: { fetchUserToken: false },
    logger: teamsSdkLogger(log),
  });
  const people = new TeamsPeople(services.principals, log);
  const render: CardContext = {
    actionUrl: (id) => `${config.publicUrl}/v1/actions/${encodeURIComponent(id)}`,
    consoleUrl: (id) => `${config.publicUrl}/console/actions/${encodeURIComponent(id)}`,
    temporalUrl: (id) => temporalUiLink(config, id),
  };
  const notifier = new TeamsNotifier({
    connector: app.api.conversations,
    people,
    cards: new TeamsCardStore(services.database.db),
    render,
    appId: teams.appId,
    tenantId: teams.tenantId,
    defaultConversation: teams.defaultConversation,
    log,
  });

  return {
    name: TEAMS,
    deliver: (change) => notifier.deliver(change),
    async mount(api, actions) {
      registerCardActions(app, { actions, people, render, log });
      await app.initialize(); // registers the SDK's messaging handler with the adapter
      await api.register(adapter.plugin);
    },
    async stop() {},
  };
}

export { TEAMS, TEAMS_MESSAGES_PATH } from './card-ids';
export { requestCard, ADAPTIVE_CARD_CONTENT_TYPE, type AdaptiveCard } from './request-card';
