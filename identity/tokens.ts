import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import { ulid } from 'ulid';
import type { Db } from '../db';
import { apiTokens } from '../db/schema';

const PREFIX = 'ilk_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Creates a token for a principal; the secret is returned once and only its hash is stored. */
export async function createToken(db: Db, principalId: string, label?: string): Promise<{ id: string; token: string }> {
  const token = PREFIX + randomBytes(32).toString('base64url');
  const id = `tok_${ulid()}`;
  await db.insert(apiTokens).values({ id, principalId, tokenHash: hashToken(token), label: label ?? null });
  return { id, token };
}

/** The principal a presented token belongs to, or null when it is unknown or revoked. */
export async function principalForToken(db: Db, token: string): Promise<string | null> {
  if (!token.startsWith(PREFIX) || token.length > 200) return null;
  const [row] = await db
    .select({ principalId: apiTokens.principalId })
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, hashToken(token)), isNull(apiTokens.revokedAt)))
    .limit(1);
  return row?.principalId ?? null;
}

/** Revokes a token by its id (printed when it was created); true when a live token was revoked. */
export async function revokeToken(db: Db, id: string): Promise<boolean> {
  const rows = await db.update(apiTokens).set({ revokedAt: new Date().toISOString() }).where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt))).returning({ id: apiTokens.id });
  return rows.length > 0;
}
