import { randomUUID } from 'node:crypto';
import type { BotFrameworkIssuer, ActivityTokenClaims } from './bot-framework-issuer';

export const TEAMS_APP = { id: '6f1b1c8e-2d4a-4a8b-9c1e-0a1b2c3d4e5f', password: 'teams-test-client-secret' };
export const TEAMS_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

/** A Teams user as an activity's `from` carries them. */
export interface Clicker {
  id: string;
  aadObjectId?: string;
  name?: string;
}

/** The `adaptiveCard/action` invoke Teams sends when someone presses an Action.Execute button on the bot's card. */
export function cardAction(opts: { from: Clicker; verb: string; data: Record<string, unknown>; conversationId: string; cardActivityId: string; serviceUrl: string }) {
  return {
    type: 'invoke',
    name: 'adaptiveCard/action',
    id: `f:${randomUUID()}`,
    timestamp: new Date().toISOString(),
    localTimestamp: new Date().toISOString(),
    serviceUrl: opts.serviceUrl,
    channelId: 'msteams',
    from: { id: opts.from.id, name: opts.from.name ?? opts.from.id, ...(opts.from.aadObjectId ? { aadObjectId: opts.from.aadObjectId } : {}) },
    conversation: { id: opts.conversationId, conversationType: 'channel', isGroup: true, tenantId: TEAMS_TENANT },
    recipient: { id: `28:${TEAMS_APP.id}`, name: 'Interlock' },
    replyToId: opts.cardActivityId,
    entities: [{ type: 'clientInfo', locale: 'en-US', country: 'US', platform: 'Web' }],
    channelData: { tenant: { id: TEAMS_TENANT }, source: { name: 'message' }, legacy: { replyToId: opts.cardActivityId } },
    value: { action: { type: 'Action.Execute', verb: opts.verb, data: opts.data }, trigger: 'manual' },
    locale: 'en-US',
  };
}

/** Delivers an activity to the bot as Bot Framework does: JSON, with the issuer's bearer token (or none). */
export async function deliverActivity(url: string, activity: unknown, auth: { issuer: BotFrameworkIssuer; claims: ActivityTokenClaims } | { header: string } | null) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth && 'header' in auth) headers.authorization = auth.header;
  else if (auth) headers.authorization = `Bearer ${await auth.issuer.activityToken(auth.claims)}`;
  const res = await fetch(`${url}/teams/messages`, { method: 'POST', headers, body: JSON.stringify(activity) });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body };
}
