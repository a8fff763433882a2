/**
 * Deliveries this process has already taken, by a key Slack keeps identical on a retry (a click's
 * `action_ts`, a modal's view id). The workflow validator is what guarantees one vote per person; this only
 * spares the voter a second, confusing "you already voted" for the same click.
 */
export class RecentDeliveries {
  private seen = new Map<string, number>();

  constructor(private readonly ttlMs = 10 * 60 * 1000, private readonly max = 10_000) {}

  /** True the first time `key` is seen within the window. */
  first(key: string): boolean {
    const now = Date.now();
    const at = this.seen.get(key);
    if (at !== undefined && now - at < this.ttlMs) return false;
    this.seen.set(key, now);
    if (this.seen.size > this.max) {
      for (const [k, t] of this.seen) if (now - t >= this.ttlMs || this.seen.size > this.max) this.seen.delete(k);
    }
    return true;
  }
}
