import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BotFrameworkIssuer } from './bot-framework-issuer';
import { RecordingServer, sendJson as json } from './recording-server';

/** One Bot Connector REST call as the bot made it. */
export interface ConnectorCall {
  method: string;
  /** The operation: createActivity, updateActivity, createConversation, getMembers, getMember. */
  op: string;
  conversationId?: string;
  activityId?: string;
  body: any;
  status?: number;
}

export interface TeamsMember {
  id: string;
  aadObjectId: string;
  name: string;
  userPrincipalName?: string;
  email?: string;
}

/**
 * A local stand-in for the Bot Connector REST API (v3) that `TEAMS_SERVICE_URL` points the bot at: it accepts
 * only access tokens the issuer stand-in handed out, records every call, answers with ids the way the service
 * does, and serves conversation members. It can be told to fail every call with an HTTP status.
 */
export class BotConnectorFake extends RecordingServer<ConnectorCall> {
  readonly refusedTokens: string[] = [];
  private members: TeamsMember[] = [];
  private failing: number | null = null;
  private failures = 0;
  private seq = 0;

  constructor(private readonly issuer: BotFrameworkIssuer) {
    super();
  }

  /** The people in every conversation (what the member APIs list). */
  addMembers(...members: TeamsMember[]): this {
    this.members.push(...members);
    return this;
  }
  /** Every call answers `status` until `heal()`. */
  fail(status: number): void {
    this.failing = status;
  }
  /** The next `count` calls answer `status`, then the stand-in works again (a brief outage). */
  failNext(status: number, count: number): void {
    this.failing = status;
    this.failures = count;
  }
  heal(): void {
    this.failing = null;
    this.failures = 0;
  }

  protected operationOf(call: ConnectorCall): string {
    return call.op;
  }

  protected handle(req: IncomingMessage, res: ServerResponse, raw: string) {
    const token = req.headers.authorization?.replace(/^Bearer /, '');
    if (!this.issuer.isIssued(token)) {
      this.refusedTokens.push(token ?? '');
      return json(res, 401, { message: 'Authorization has been denied for this request.' });
    }
    const parts = (req.url ?? '').split('?')[0].split('/').filter(Boolean).map(decodeURIComponent);
    const call: ConnectorCall = { method: req.method ?? '', op: 'unknown', body: raw ? JSON.parse(raw) : undefined };
    if (parts[0] !== 'v3' || parts[1] !== 'conversations') return json(res, 404, { error: { code: 'NotFound', message: 'no such route' } });
    const [, , conversationId, collection, id] = parts;
    call.conversationId = conversationId;
    call.activityId = collection === 'activities' ? id : undefined;
    if (req.method === 'POST' && !conversationId) call.op = 'createConversation';
    else if (req.method === 'POST' && collection === 'activities' && !id) call.op = 'createActivity';
    else if (req.method === 'PUT' && collection === 'activities' && id) call.op = 'updateActivity';
    else if (req.method === 'GET' && collection === 'members') call.op = id ? 'getMember' : 'getMembers';
    this.calls.push(call);
    if (this.failing) {
      call.status = this.failing;
      if (this.failures > 0 && --this.failures === 0) this.failing = null;
      return json(res, call.status, { error: { code: 'ServiceError', message: 'the stand-in was told to fail' } });
    }
    call.status = 200;
    switch (call.op) {
      case 'createConversation':
        return json(res, 201, { id: `a:1on1-${++this.seq}`, serviceUrl: this.url });
      case 'createActivity':
        return json(res, 201, { id: `${Date.now()}${String(++this.seq).padStart(4, '0')}` });
      case 'updateActivity':
        return json(res, 200, { id });
      case 'getMembers':
        return json(res, 200, this.members);
      case 'getMember': {
        const m = this.members.find((x) => x.id === id || x.aadObjectId === id);
        return m ? json(res, 200, m) : ((call.status = 404), json(res, 404, { error: { code: 'MemberNotFoundInConversation', message: 'The member was not found in the conversation.' } }));
      }
      default:
        call.status = 404;
        return json(res, 404, { error: { code: 'NotFound', message: 'no such route' } });
    }
  }
}
