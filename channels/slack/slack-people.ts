import type { WebClient } from '@slack/web-api';
import { emailOf, type Principal } from '../../domain/principal';
import type { PrincipalsStore } from '../../identity';
import type { Logger } from '../../observability';

const CACHE_MS = 10 * 60 * 1000;
type Cache = Map<string, { value: string | null; at: number }>;

/**
 * Who a Slack user is to Interlock, and the reverse. The `slack:` id in principals.yaml decides; failing that,
 * the e-mail on the Slack profile (verified by Slack) maps to a principal that has no Slack id of its own,
 * so an e-mail can never take over a principal bound to another Slack account.
 */
export class SlackPeople {
  private emailBySlackId: Cache = new Map();
  private slackIdByEmail: Cache = new Map();

  constructor(private readonly principals: PrincipalsStore, private readonly client: WebClient, private readonly log: Logger) {}

  async principalFor(slackUserId: string): Promise<Principal | undefined> {
    const directory = this.principals.current();
    const bound = directory.bySlackId(slackUserId);
    if (bound) return bound;
    const email = await this.emailOf(slackUserId);
    const byEmail = email ? directory.byEmail(email) : undefined;
    return byEmail && !byEmail.slack ? byEmail : undefined;
  }

  /** A principal's Slack user id, for a mention or a DM; undefined when it has none Slack can find. */
  async slackIdOf(principal: Principal): Promise<string | undefined> {
    if (principal.slack) return principal.slack;
    const email = emailOf(principal);
    if (!email || principal.kind !== 'human') return undefined;
    return (await this.lookup(this.slackIdByEmail, email.toLowerCase(), async () => {
      const res = await this.client.users.lookupByEmail({ email });
      return res.user && !res.user.deleted && !res.user.is_bot ? (res.user.id ?? null) : null;
    })) ?? undefined;
  }

  /** Slack ids of a group's members as principals.yaml binds them: no Slack call, for rendering. */
  boundSlackIdsOf(group: string): string[] {
    return this.principals.current().membersOf(group).flatMap((p) => (p.slack ? [p.slack] : []));
  }

  byPrincipalId(id: string): Principal | undefined {
    return this.principals.current().resolve(id);
  }

  membersOf(group: string): Principal[] {
    return this.principals.current().membersOf(group);
  }

  private async emailOf(slackUserId: string): Promise<string | null> {
    return this.lookup(this.emailBySlackId, slackUserId, async () => {
      const res = await this.client.users.info({ user: slackUserId });
      const user = res.user;
      return user && !user.deleted && !user.is_bot ? (user.profile?.email ?? null) : null;
    });
  }

  /** Answers are cached (a miss too) so a burst of clicks is not a burst of Slack calls; failures are not. */
  private async lookup(cache: Cache, key: string, fetch: () => Promise<string | null>): Promise<string | null> {
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.value;
    try {
      const value = await fetch();
      cache.set(key, { value, at: Date.now() });
      return value;
    } catch (err) {
      const code = (err as { data?: { error?: string } }).data?.error;
      if (code === 'user_not_found' || code === 'users_not_found') {
        cache.set(key, { value: null, at: Date.now() });
      } else {
        this.log.warn({ room: 'slack', key, err: (err as Error).message }, 'Slack user lookup failed');
      }
      return null;
    }
  }
}
