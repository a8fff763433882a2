/** The channels people are notified through and decide in: the seam, and the list this configuration turns on. */
import type { Services } from '../services';
import type { Channel } from './types';

/** Every configured channel; adding one is a sub-room here plus one line below. Slack: when SLACK_BOT_TOKEN is set; Teams: TEAMS_APP_ID and TEAMS_APP_PASSWORD. */
export async function createChannels({ services }: { services: Services }): Promise<Channel[]> {
  // Each SDK is loaded only when its channel is configured: Bolt and the Teams SDK are tens of MB of every process's memory.
  const channels: (Channel | null)[] = [
    services.config.slack ? await (await import('./slack')).createSlackIntegration({ services }) : null,
    services.config.teams ? await (await import('./teams')).createTeamsIntegration({ services }) : null,
  ];
  return channels.filter((c): c is Channel => c !== null);
}

export { ChannelDeliveryError, type Channel, type CoreLike } from './types';
