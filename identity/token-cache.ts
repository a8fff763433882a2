import type { Database } from '../db';
import { hashToken, liveTokenRow, TOKEN_REVOKED_CHANNEL } from './tokens';

interface Entry {
  tokenId: string;
  principal: string;
  /** ms since the epoch; null: the token does not expire. */
  expiresAt: number | null;
  cachedAt: number;
}

export interface TokenCacheOptions {
  /** How long a looked-up token is served without asking the database again. */
  ttlMs?: number;
  /** Tokens kept at most; the oldest go first. */
  max?: number;
  now?: () => number;
}

/**
 * Bearer-token lookups served from memory for a bounded time, so a request does not cost a database query.
 * A revocation is still effective at once: `revokeToken` NOTIFYs every process, which drops the token here. While
 * that notification channel is not listening (not yet connected, or its connection lost), nothing is served from
 * memory; a lookup racing a revocation is not kept. Unknown tokens are never cached.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private listening = false;
  /** Bumped by every revocation heard and every listen lost or regained: a lookup that began before one is not cached. */
  private generation = 0;
  private stopListening: (() => Promise<void>) | null = null;
  private readonly ttlMs: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(private readonly database: Database, opts: TokenCacheOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 30_000;
    this.max = opts.max ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** Starts hearing revocations; until it does, every lookup goes to the database. */
  async start(): Promise<void> {
    this.stopListening = await this.database.listen(
      TOKEN_REVOKED_CHANNEL,
      (tokenId) => this.evict(tokenId),
      (listening) => {
        this.listening = listening;
        // A revocation may be missed while deaf: forget everything, and keep no lookup that was under way meanwhile
        // (it may have read a token just before a revocation nobody heard).
        this.clear();
      },
    );
  }

  async stop(): Promise<void> {
    await this.stopListening?.();
    this.stopListening = null;
    this.listening = false;
    this.clear();
  }

  /** The principal a presented token belongs to, or null when it is unknown, revoked or expired. */
  async lookup(token: string): Promise<string | null> {
    const key = hashToken(token);
    const now = this.now();
    const hit = this.entries.get(key);
    if (hit && this.listening && now - hit.cachedAt < this.ttlMs && (hit.expiresAt === null || hit.expiresAt > now)) return hit.principal;
    if (hit) this.entries.delete(key);
    const generation = this.generation;
    const row = await liveTokenRow(this.database.db, token);
    if (!row) return null;
    if (this.listening && generation === this.generation) {
      if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, { tokenId: row.id, principal: row.principalId, expiresAt: row.expiresAt === null ? null : Date.parse(row.expiresAt), cachedAt: now });
    }
    return row.principalId;
  }

  /** Drops a token (by its id) at once. */
  evict(tokenId: string): void {
    this.generation++;
    for (const [key, e] of this.entries) if (e.tokenId === tokenId) this.entries.delete(key);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
