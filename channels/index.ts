/** The channels people are notified through and decide in: the seam, and the list this configuration turns on. */
import type { Services } from '../services';
import { createSlackIntegration } from './slack';
import type { Channel } from './types';

/** Every configured channel; adding one is a sub-room here plus one line below. Slack: when SLACK_BOT_TOKEN is set. */
export async function createChannels({ services }: { services: Services }): Promise<Channel[]> {
  const channels: (Channel | null)[] = [await createSlackIntegration({ services })];
  return channels.filter((c): c is Channel => c !== null);
}

export { ChannelDeliveryError, type Channel, type CoreLike } from './types';
export { createSlackIntegration } from './slack';
