import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import { ulid } from 'ulid';
import type { AuditWriter } from '../audit';
import type { Db } from '../db';
import { apiTokens } from '../db/schema';
import { AuditEventType } from '../domain/audit-event';
import { parseDuration } from '../policy';

const PREFIX = 'ilk_';

/** A token as administrators see it: never its secret nor its hash. */
export interface TokenRecord {
  id: string;
  principal: string;
  label: string | null;
  createdAt: string;
  createdBy: string | null;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Not revoked and not past its expiry, by the database's clock. */
const live = () => and(isNull(apiTokens.revokedAt), or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, sql`now()`)));

const iso = (t: string | null) => (t === null ? null : new Date(t).toISOString());

function recordOf(row: typeof apiTokens.$inferSelect): TokenRecord {
  return { id: row.id, principal: row.principalId, label: row.label, createdAt: iso(row.createdAt)!, createdBy: row.createdBy, lastUsedAt: iso(row.lastUsedAt), expiresAt: iso(row.expiresAt), revokedAt: iso(row.revokedAt) };
}

export interface CreateTokenOptions {
  label?: string;
  /** Null or absent: the token does not expire. */
  expiresAt?: Date | null;
  /** Who asked (`cli`, or an admin's principal id); recorded on the token and in its audit event. */
  createdBy?: string;
  /** When given, a `token.created` event is written (the CLI and the API always give it). */
  audit?: AuditWriter;
}

/** Creates a token for a principal; the secret is returned once and only its hash is stored. */
export async function createToken(db: Db, principalId: string, opts: CreateTokenOptions | string = {}): Promise<{ id: string; token: string; record: TokenRecord }> {
  const o = typeof opts === 'string' ? { label: opts } : opts;
  const token = PREFIX + randomBytes(32).toString('base64url');
  const id = `tok_${ulid()}`;
  const [row] = await db
    .insert(apiTokens)
    .values({ id, principalId, tokenHash: hashToken(token), label: o.label ?? null, expiresAt: o.expiresAt?.toISOString() ?? null, createdBy: o.createdBy ?? null })
    .returning();
  const record = recordOf(row);
  await o.audit?.append([{ id: `token.created:${id}`, actionId: null, type: AuditEventType.tokenCreated, actor: o.createdBy ?? 'cli', at: record.createdAt, data: { tokenId: id, principal: principalId, label: record.label, expiresAt: record.expiresAt }, policyVersion: null }]);
  return { id, token, record };
}

/** Where a revocation is announced (NOTIFY, payload the token id), so every API process's cache drops it at once. */
export const TOKEN_REVOKED_CHANNEL = 'interlock_token_revoked';

/** The principal a presented token belongs to, or null when it is unknown, revoked or expired. */
export async function principalForToken(db: Db, token: string): Promise<string | null> {
  return (await liveTokenRow(db, token))?.principalId ?? null;
}

/** The live token row of a presented secret (its last use noted at most once a minute), or null. */
export async function liveTokenRow(db: Db, token: string): Promise<{ id: string; principalId: string; expiresAt: string | null } | null> {
  if (!token.startsWith(PREFIX) || token.length > 200) return null;
  const [row] = await db
    .select({ id: apiTokens.id, principalId: apiTokens.principalId, lastUsedAt: apiTokens.lastUsedAt, expiresAt: apiTokens.expiresAt })
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, hashToken(token)), live()))
    .limit(1);
  if (!row) return null;
  if (!row.lastUsedAt || Date.now() - new Date(row.lastUsedAt).getTime() > 60_000) {
    // At most one write a minute per token; a lost update only makes "last used" a minute older.
    await db
      .update(apiTokens)
      .set({ lastUsedAt: sql`now()` })
      .where(and(eq(apiTokens.id, row.id), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, sql`now() - interval '1 minute'`))));
  }
  return { id: row.id, principalId: row.principalId, expiresAt: row.expiresAt === null ? null : new Date(row.expiresAt).toISOString() };
}

/** The live token record a presented secret belongs to (the console keeps its id, never the secret, in a session). */
export async function liveTokenFor(db: Db, token: string): Promise<TokenRecord | null> {
  if (!token.startsWith(PREFIX) || token.length > 200) return null;
  const [row] = await db.select().from(apiTokens).where(and(eq(apiTokens.tokenHash, hashToken(token)), live())).limit(1);
  return row ? recordOf(row) : null;
}

/** Whether a token id is live now: not revoked, not expired. */
export async function isTokenLive(db: Db, id: string): Promise<boolean> {
  const [row] = await db.select({ id: apiTokens.id }).from(apiTokens).where(and(eq(apiTokens.id, id), live())).limit(1);
  return !!row;
}

/** Every token, newest first (revoked and expired ones too, so an incident can be reconstructed). */
export async function listTokens(db: Db): Promise<TokenRecord[]> {
  const rows = await db.select().from(apiTokens).orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
  return rows.map(recordOf);
}

export async function findToken(db: Db, id: string): Promise<TokenRecord | null> {
  const [row] = await db.select().from(apiTokens).where(eq(apiTokens.id, id)).limit(1);
  return row ? recordOf(row) : null;
}

/**
 * Revokes a token by its id (printed when it was created); the record when a live token was revoked, null when no
 * live token has that id. Effective at once: every request looks its token up. With `audit`, writes `token.revoked`.
 */
export async function revokeToken(db: Db, id: string, opts: { audit?: AuditWriter; revokedBy?: string } = {}): Promise<TokenRecord | null> {
  // The announcement in the revocation's own transaction: NOTIFY is delivered at its commit, so one is never without the other.
  const [row] = await db.transaction(async (tx) => {
    const rows = await tx.update(apiTokens).set({ revokedAt: sql`now()` }).where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt))).returning();
    if (rows.length > 0) await announceRevocation(tx, id);
    return rows;
  });
  if (!row) {
    // Revoked already: if the event of that revocation was lost (a crash between the writes), it is written now; its id makes a second copy nothing.
    const earlier = await findToken(db, id);
    if (earlier?.revokedAt) {
      // Announced again too: a revocation made behind the API's back (or by a version that announced separately) reaches every cache.
      await announceRevocation(db, id);
      await opts.audit?.append([revokedEvent(earlier, opts.revokedBy)]);
    }
    return null;
  }
  const record = recordOf(row);
  await opts.audit?.append([revokedEvent(record, opts.revokedBy)]);
  return record;
}

/** Tells every process caching tokens (identity/token-cache.ts) to drop this one; delivered after the revocation committed. */
async function announceRevocation(db: Pick<Db, 'execute'>, id: string): Promise<void> {
  await db.execute(sql`select pg_notify(${TOKEN_REVOKED_CHANNEL}, ${id})`);
}

function revokedEvent(record: TokenRecord, revokedBy: string | undefined) {
  return { id: `token.revoked:${record.id}`, actionId: null, type: AuditEventType.tokenRevoked, actor: revokedBy ?? 'cli', at: record.revokedAt!, data: { tokenId: record.id, principal: record.principal }, policyVersion: null };
}

const MAX_EXPIRY_SECONDS = 3650 * 86400;

/** Thrown for an expiry that is not a duration (`30d`, `12h`) or lies outside (0, 10 years]. */
export class TokenExpiryError extends Error {
  override readonly name = 'TokenExpiryError';
}

/** `30d` from `now`; the one reading of `--expires` and of POST /v1/tokens' `expires`. */
export function tokenExpiry(text: string, now = new Date()): Date {
  const seconds = parseDuration(text);
  if (seconds === null) throw new TokenExpiryError(`expires ${JSON.stringify(text)} is not a duration such as 30d, 12h or 90m`);
  if (seconds <= 0 || seconds > MAX_EXPIRY_SECONDS) throw new TokenExpiryError(`expires ${JSON.stringify(text)} must be more than 0 and at most 3650d`);
  return new Date(now.getTime() + seconds * 1000);
}
