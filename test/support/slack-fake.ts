import type { IncomingMessage, ServerResponse } from 'node:http';
import { RecordingServer } from './recording-server';

/** One Web API call as Slack would have received it; JSON-valued form fields (blocks, view) are parsed. */
export interface SlackCall {
  method: string;
  body: Record<string, any>;
  token: string | undefined;
  /** What the stand-in answered (undefined while hanging). */
  response?: Record<string, any>;
}

export interface SlackUser {
  id: string;
  email?: string;
}

/**
 * A local stand-in for Slack's Web API (`SLACK_API_URL=<url>/api/`): answers the methods Interlock uses the
 * way Slack documents them and records every call. It can be told to fail a method with a Slack error, or to
 * hang (accept the request and never answer). `POST /exec` is a plain 200 target for the http executor.
 */
export class SlackFake extends RecordingServer<SlackCall> {
  private failures = new Map<string, string>();
  private hanging = false;
  private seq = 0;
  private users = new Map<string, SlackUser>();

  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** Workspace members users.info and users.lookupByEmail know. */
  addUsers(...users: SlackUser[]): this {
    for (const u of users) this.users.set(u.id, u);
    return this;
  }
  /** `method` (or '*' for every method) answers `{ok: false, error}` until `heal()`. */
  fail(method: string, error: string): void {
    this.failures.set(method, error);
  }
  /** Every call is accepted and never answered until `heal()`. */
  hang(): void {
    this.hanging = true;
  }
  heal(): void {
    this.failures.clear();
    this.hanging = false;
  }

  protected operationOf(call: SlackCall): string {
    return call.method;
  }

  protected handle(req: IncomingMessage, res: ServerResponse, raw: string) {
    if (req.url === '/exec') return send(res, { ok: true, executed: true });
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0];
    const body = parseBody(raw, req.headers['content-type'] ?? '');
    const call: SlackCall = { method, body, token: req.headers.authorization?.replace(/^Bearer /, '') };
    this.calls.push(call);
    if (this.hanging) return; // never answered: the client's own timeout must end it
    const error = this.failures.get(method) ?? this.failures.get('*');
    call.response = error ? { ok: false, error } : this.answer(method, body);
    send(res, call.response);
  }

  private answer(method: string, body: Record<string, any>): Record<string, unknown> {
    const ts = () => `${Math.floor(Date.now() / 1000)}.${String(++this.seq).padStart(6, '0')}`;
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T0TEST' };
      case 'chat.postMessage':
        return { ok: true, channel: body.channel, ts: ts(), message: { text: body.text } };
      case 'chat.update':
        return { ok: true, channel: body.channel, ts: body.ts, text: body.text };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: ts() };
      case 'chat.getPermalink':
        return { ok: true, channel: body.channel, permalink: `https://example.slack.com/archives/${body.channel}/p${String(body.message_ts).replace('.', '')}` };
      case 'views.open':
        return { ok: true, view: { id: `V${++this.seq}`, ...body.view } };
      case 'users.info': {
        const user = this.users.get(body.user);
        return user ? { ok: true, user: { id: user.id, deleted: false, is_bot: false, profile: { email: user.email } } } : { ok: false, error: 'user_not_found' };
      }
      case 'users.lookupByEmail': {
        const user = [...this.users.values()].find((u) => u.email?.toLowerCase() === String(body.email).toLowerCase());
        return user ? { ok: true, user: { id: user.id, deleted: false, is_bot: false, profile: { email: user.email } } } : { ok: false, error: 'users_not_found' };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

function send(res: ServerResponse, body: unknown) {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** The Web API client sends form fields, JSON-encoding the structured ones. */
function parseBody(raw: string, contentType: string): Record<string, any> {
  if (contentType.includes('application/json')) return raw ? JSON.parse(raw) : {};
  const out: Record<string, any> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    try {
      out[k] = /^[[{]/.test(v) ? JSON.parse(v) : v;
    } catch {
      out[k] = v;
    }
  }
  return out;
}
