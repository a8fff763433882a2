/** The channels people are notified through and decide in: the seam, and the list this configuration turns on. */
import type { Services } from '../services';
import { createSlackIntegration } from './slack';
import { createTeamsIntegration } from './teams';
import type { Channel } from './types';

/** Every configured channel; adding one is a sub-room here plus one line below. Slack: when SLACK_BOT_TOKEN is set; Teams: TEAMS_APP_ID and TEAMS_APP_PASSWORD. */
export async function createChannels({ services }: { services: Services }): Promise<Channel[]> {
  const channels: (Channel | null)[] = [await createSlackIntegration({ services }), await createTeamsIntegration({ services })];
  return channels.filter((c): c is Channel => c !== null);
}

export { ChannelDeliveryError, type Channel, type CoreLike } from './types';
export { createSlackIntegration } from './slack';
export { createTeamsIntegration } from './teams';
