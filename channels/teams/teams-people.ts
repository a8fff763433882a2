import type { TeamsChannelAccount } from '@microsoft/teams.api';
import { emailOf, type Principal } from '../../domain/principal';
import type { PrincipalsStore } from '../../identity';
import type { Logger } from '../../observability';

const CACHE_MS = 10 * 60 * 1000;

/** The Teams user behind an activity, as the activity names them. */
export interface TeamsUser {
  id: string;
  aadObjectId?: string;
  userPrincipalName?: string;
  email?: string;
}

/**
 * Who a Teams user is to Interlock, and the reverse. The `teams:` Azure AD object id in principals.yaml
 * decides; failing that, the UPN or e-mail Teams reports for the member (from the activity, else the Bot
 * Connector's conversation-member API) maps to a principal that has no Teams id of its own, so an e-mail can
 * never take over a principal bound to another Teams account.
 */
export class TeamsPeople {
  private rosters = new Map<string, { members: TeamsChannelAccount[]; at: number }>();

  constructor(private readonly principals: PrincipalsStore, private readonly log: Logger) {}

  async principalFor(user: TeamsUser, member: () => Promise<TeamsChannelAccount>): Promise<Principal | undefined> {
    const directory = this.principals.current();
    if (user.aadObjectId) {
      const bound = directory.byTeamsId(user.aadObjectId);
      if (bound) return bound;
    }
    let names = [user.userPrincipalName, user.email].filter((n): n is string => !!n);
    if (names.length === 0) {
      try {
        const m = await member();
        if (m.aadObjectId && !user.aadObjectId) {
          const bound = directory.byTeamsId(m.aadObjectId);
          if (bound) return bound;
        }
        names = [m.userPrincipalName, m.email].filter((n): n is string => !!n);
      } catch (err) {
        this.log.warn({ room: 'teams', err: (err as Error).message }, 'Teams member lookup failed; the voter cannot be mapped by e-mail');
      }
    }
    for (const name of names) {
      const p = directory.byEmail(name);
      if (p && !p.teams) return p;
    }
    return undefined;
  }

  /**
   * The Teams account to open a 1:1 conversation with: the principal's own object id, else the member of
   * `conversationId` whose UPN or e-mail is the principal's; undefined when Teams knows no such person.
   */
  async accountOf(principal: Principal, conversationId: string | undefined, roster: (conversationId: string) => Promise<TeamsChannelAccount[]>): Promise<string | undefined> {
    if (principal.kind !== 'human') return undefined;
    if (principal.teams) return principal.teams;
    const email = emailOf(principal)?.toLowerCase();
    if (!email || !conversationId) return undefined;
    const members = await this.rosterOf(conversationId, roster);
    const m = members.find((x) => x.userPrincipalName?.toLowerCase() === email || x.email?.toLowerCase() === email);
    return m ? (m.aadObjectId ?? m.id) : undefined;
  }

  byPrincipalId(id: string): Principal | undefined {
    return this.principals.current().resolve(id);
  }

  membersOf(group: string): Principal[] {
    return this.principals.current().membersOf(group);
  }

  /** A conversation's members, cached so an escalation to a big group is one roster call, not one per person. */
  private async rosterOf(conversationId: string, roster: (conversationId: string) => Promise<TeamsChannelAccount[]>): Promise<TeamsChannelAccount[]> {
    const hit = this.rosters.get(conversationId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.members;
    try {
      const members = await roster(conversationId);
      this.rosters.set(conversationId, { members, at: Date.now() });
      return members;
    } catch (err) {
      this.log.warn({ room: 'teams', conversationId, err: (err as Error).message }, 'Teams roster lookup failed');
      return [];
    }
  }
}
