import { and, eq } from 'drizzle-orm';
import type { AuditWriter } from '../audit';
import { grantSigningKeys, type Db } from '../db';
import { AuditEventType } from '../domain/audit-event';
import type { GrantKeys } from './keys';

const ROW = 'grant-signing';

/**
 * Records a change of the grant signing key as one `key.rotated` event (old and new kid), however many API
 * processes start with the new key at once: the event's id is named by the change's number, so a second writer's
 * copy is the same event, and the row moves on only from the version it was read at. The first key ever seen is
 * remembered without an event (nothing was rotated). Returns the change, or null when there was none.
 */
export async function recordKeyRotation(db: Db, audit: AuditWriter, keys: GrantKeys): Promise<{ oldKid: string; newKid: string } | null> {
  if (!keys.persistent) return null;
  const newKid = keys.signing.kid;
  for (let attempt = 0; attempt < 5; attempt++) {
    const [row] = await db.select().from(grantSigningKeys).where(eq(grantSigningKeys.name, ROW));
    if (!row) {
      const inserted = await db.insert(grantSigningKeys).values({ name: ROW, kid: newKid, version: 1 }).onConflictDoNothing().returning();
      if (inserted.length > 0) return null;
      continue;
    }
    if (row.kid === newKid) return null;
    const version = row.version + 1;
    // The event first: a crash between the two writes leaves the row at the old kid, and the next start writes the same event (same id) again, which stores nothing.
    await audit.append([{ id: `key.rotated:${ROW}:${version}`, actionId: null, type: AuditEventType.keyRotated, actor: 'interlock', at: new Date().toISOString(), data: { key: ROW, oldKid: row.kid, newKid, source: keys.source, published: keys.published.map((k) => k.kid) }, policyVersion: null }]);
    const moved = await db.update(grantSigningKeys).set({ kid: newKid, version, changedAt: new Date().toISOString() }).where(and(eq(grantSigningKeys.name, ROW), eq(grantSigningKeys.version, row.version))).returning();
    if (moved.length > 0) return { oldKid: row.kid, newKid };
  }
  throw new Error('the grant signing key record kept changing under this process; is another one starting with a different INTERLOCK_GRANT_SIGNING_KEY?');
}
