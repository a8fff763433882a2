import { count, eq } from 'drizzle-orm';
import type { Db } from './client';
import { actions } from './schema';

/** Actions waiting for approval, from the projection every process writes: the same answer from any process. */
export async function countPendingActions(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(actions).where(eq(actions.status, 'pending_approval'));
  return row?.n ?? 0;
}
