import { eq } from 'drizzle-orm';
import { slackMessages, type Db } from '../../db';

export interface MessageLocation {
  channel: string;
  ts: string;
}

/** Where each action's request message lives, so later changes update that message instead of posting anew. */
export class SlackMessageStore {
  constructor(private readonly db: Db) {}

  async find(actionId: string): Promise<MessageLocation | null> {
    const [row] = await this.db.select({ channel: slackMessages.channel, ts: slackMessages.ts }).from(slackMessages).where(eq(slackMessages.actionId, actionId));
    return row ?? null;
  }

  /** The first message recorded for an action stays the one that is updated. */
  async save(actionId: string, where: MessageLocation): Promise<void> {
    await this.db.insert(slackMessages).values({ actionId, channel: where.channel, ts: where.ts }).onConflictDoNothing();
  }
}
