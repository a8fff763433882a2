import { createHmac } from 'node:crypto';

/** Slack's request signature: `v0=` + HMAC-SHA256(signing secret, `v0:{timestamp}:{raw body}`), hex. */
export function slackSignature(secret: string, timestamp: number, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

export interface Delivery {
  /** Seconds since the epoch; defaults to now. */
  timestamp?: number;
  /** Sign with this secret instead (a forgery). */
  secret?: string;
  /** Slack's `X-Slack-Retry-Num` on a redelivery. */
  retryNum?: number;
}

/**
 * Posts an interactivity payload to `/slack/events` exactly as Slack does: form-encoded `payload=<json>`,
 * signed with the app's signing secret, with the timestamp header the signature covers.
 */
export async function deliverToSlackEndpoint(baseUrl: string, secret: string, payload: unknown, d: Delivery = {}): Promise<{ status: number; body: any; raw: string }> {
  const rawBody = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return deliverRaw(baseUrl, d.secret ?? secret, rawBody, d);
}

/** The same delivery with a body already encoded (to resend a captured one byte for byte). */
export async function deliverRaw(baseUrl: string, secret: string, rawBody: string, d: Delivery = {}): Promise<{ status: number; body: any; raw: string }> {
  const timestamp = d.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': slackSignature(d.secret ?? secret, timestamp, rawBody),
  };
  if (d.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(d.retryNum);
    headers['x-slack-retry-reason'] = 'http_timeout';
  }
  const res = await fetch(`${baseUrl}/slack/events`, { method: 'POST', headers, body: rawBody });
  const raw = await res.text();
  let body: unknown = raw;
  try {
    body = JSON.parse(raw);
  } catch {
    /* empty or text */
  }
  return { status: res.status, body, raw: rawBody };
}

const TEAM = { id: 'T0TEST', domain: 'interlock-test' };
let clicks = 0;

/** The fields every interaction payload carries: the workspace, the user who acted, the app. */
function envelope(user: string) {
  return { team: TEAM, user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: TEAM.id }, api_app_id: 'A0INTERLOCK', token: 'deprecated-verification-token' };
}

/** A `block_actions` payload for a click on one of the request message's buttons, as Slack documents it. */
export function buttonClick(opts: { user: string; actionId: string; value: string; channel: string; messageTs: string; blockId?: string }) {
  const n = ++clicks;
  const actionTs = `${Math.floor(Date.now() / 1000)}.${String(n).padStart(6, '0')}`;
  return {
    type: 'block_actions',
    ...envelope(opts.user),
    container: { type: 'message', message_ts: opts.messageTs, channel_id: opts.channel, is_ephemeral: false },
    trigger_id: `${n}.${Date.now()}.trigger`,
    channel: { id: opts.channel, name: opts.channel.replace(/^#/, '') },
    message: { type: 'message', ts: opts.messageTs, user: 'UBOT', text: 'approval request' },
    response_url: 'https://hooks.slack.com/actions/T0TEST/1/fake',
    actions: [{ type: 'button', action_id: opts.actionId, block_id: opts.blockId ?? 'interlock_vote', value: opts.value, text: { type: 'plain_text', text: 'Approve' }, action_ts: actionTs }],
  };
}

/** A `view_submission` for a modal this app opened (`view` as recorded by views.open), with a value typed into one input. */
export function modalSubmission(opts: { user: string; view: Record<string, any>; viewId: string; input: { blockId: string; actionId: string; value: string } }) {
  return {
    type: 'view_submission',
    ...envelope(opts.user),
    trigger_id: `${++clicks}.${Date.now()}.trigger`,
    view: {
      ...opts.view,
      id: opts.viewId,
      team_id: TEAM.id,
      hash: `${Date.now()}.hash`,
      state: { values: { [opts.input.blockId]: { [opts.input.actionId]: { type: 'plain_text_input', value: opts.input.value } } } },
    },
    response_urls: [],
  };
}
