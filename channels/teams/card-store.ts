import { eq } from 'drizzle-orm';
import { teamsCards, type Db } from '../../db';

export interface CardLocation {
  conversationId: string;
  activityId: string;
}

/** Where each action's Teams card was posted, so later changes update that card instead of posting anew. */
export class TeamsCardStore {
  constructor(private readonly db: Db) {}

  async find(actionId: string): Promise<CardLocation | null> {
    const [row] = await this.db.select({ conversationId: teamsCards.conversationId, activityId: teamsCards.activityId }).from(teamsCards).where(eq(teamsCards.actionId, actionId));
    return row ?? null;
  }

  /** The first card recorded for an action stays the one that is updated. */
  async save(actionId: string, where: CardLocation): Promise<void> {
    await this.db.insert(teamsCards).values({ actionId, ...where }).onConflictDoNothing();
  }
}
