import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { ActionNotifier } from '../activities';
import type { ActionService } from '../api/actions/service';
import type { Services } from '../stack/services';

export interface SlackIntegration {
  notifier: ActionNotifier;
  mount(app: FastifyInstance, actions: ActionService): Promise<void>;
  stop(): Promise<void>;
}

/** Slack is off unless SLACK_BOT_TOKEN is set. */
export async function createSlackIntegration(_deps: { services: Services; temporal: Client }): Promise<SlackIntegration | null> {
  return null;
}
