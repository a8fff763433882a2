import { ReceiverMultipleAckError, verifySlackRequest, type App, type Receiver, type ReceiverEvent } from '@slack/bolt';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, ErrorCode, findUnstorable } from '../../api';
import type { Logger } from '../../observability';
import { slackPayloadProblem } from './payload-schema';

export const SLACK_EVENTS_PATH = '/slack/events';
/** Slack shows the user an error when a request is not acknowledged within 3 s. */
const ACK_DEADLINE_MS = 3000;
/** Slack's own bound on clock difference, applied both ways. */
const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

type Outcome = { acked: true; response: unknown } | { acked: false; error?: unknown };

/**
 * Bolt's receiver for the API's own Fastify server: Slack's requests arrive on `POST /slack/events`, are checked
 * with Bolt's `verifySlackRequest` over the raw body, and are answered as soon as a listener acks, so the work
 * after the ack (a vote through the workflow) never counts against Slack's 3 s.
 */
export class FastifyReceiver implements Receiver {
  private app: App | undefined;

  constructor(private readonly opts: { signingSecret: string; log: Logger }) {}

  init(app: App): void {
    this.app = app;
  }
  // The API server owns the socket: starting and stopping it is the API's job.
  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  /** An encapsulated plugin: its raw-body parsers apply to this route only, never to the JSON API. */
  readonly plugin = async (fastify: FastifyInstance): Promise<void> => {
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser(['application/x-www-form-urlencoded', 'application/json'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
    fastify.post(SLACK_EVENTS_PATH, { config: { signed: true } }, (req, reply) => this.handle(req, reply));
  };

  private async handle(req: FastifyRequest, reply: FastifyReply) {
    const raw = typeof req.body === 'string' ? req.body : '';
    const refusal = this.verify(req, raw);
    if (refusal) {
      this.opts.log.warn({ room: 'slack', reason: refusal }, 'refused a Slack request that is not signed by Slack');
      return reply.code(401).send(new ApiError(401, ErrorCode.unauthorized, refusal).body());
    }
    let body: Record<string, unknown>;
    try {
      body = parseBody(raw, req.headers['content-type'] ?? '');
    } catch {
      return reply.code(400).send(new ApiError(400, ErrorCode.invalidRequest, 'the Slack request body is neither a form with a JSON payload nor JSON').body());
    }
    const problem = slackPayloadProblem(body) ?? (findUnstorable(body, 'payload') !== null ? 'the Slack payload contains a NUL character or an unpaired surrogate' : null);
    if (problem) {
      this.opts.log.warn({ room: 'slack', problem }, 'refused a signed Slack request Interlock cannot read');
      return reply.code(400).send(new ApiError(400, ErrorCode.invalidRequest, problem).body());
    }
    if (body.ssl_check) return reply.code(200).send('');
    if (body.type === 'url_verification') return reply.code(200).send({ challenge: body.challenge });

    const outcome = await this.dispatch(body, req);
    if (outcome.acked) {
      const { response } = outcome;
      if (response === undefined || response === null || response === '') return reply.code(200).send('');
      return typeof response === 'string' ? reply.code(200).type('text/plain').send(response) : reply.code(200).send(response);
    }
    if (outcome.error) return reply.code(500).send(new ApiError(500, ErrorCode.internal, 'the Slack request could not be processed').body());
    return reply.code(404).send(new ApiError(404, ErrorCode.notFound, 'no handler for this Slack request').body());
  }

  /** Slack's signing scheme, checked by Bolt itself: HMAC-SHA256 over `v0:{timestamp}:{raw body}`, at most 5 minutes old; and not from the future. */
  private verify(req: FastifyRequest, raw: string): string | null {
    const signature = header(req, 'x-slack-signature');
    const timestamp = header(req, 'x-slack-request-timestamp');
    if (!signature || !timestamp) return 'missing X-Slack-Signature or X-Slack-Request-Timestamp: only Slack may call /slack/events';
    try {
      verifySlackRequest({ signingSecret: this.opts.signingSecret, body: raw, headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': Number(timestamp) } });
    } catch (err) {
      return `${(err as Error).message}; check SLACK_SIGNING_SECRET and the server clock`;
    }
    // Bolt refuses only the past; a request stamped ahead would stay replayable until 5 minutes after that stamp.
    if (Number(timestamp) > Math.floor(Date.now() / 1000) + MAX_CLOCK_SKEW_SECONDS) {
      return `x-slack-request-timestamp is more than ${MAX_CLOCK_SKEW_SECONDS / 60} minutes in the future; check the server clock`;
    }
    return null;
  }

  /** Hands the request to Bolt and settles at the first ack (or when Bolt finishes without one). */
  private dispatch(body: Record<string, unknown>, req: FastifyRequest): Promise<Outcome> {
    const app = this.app;
    if (!app) return Promise.resolve({ acked: false, error: new Error('the Slack receiver is not attached to an app') });
    return new Promise<Outcome>((resolve) => {
      let acked = false;
      const late = setTimeout(() => this.opts.log.error({ room: 'slack', type: body.type }, `a Slack request was not acknowledged within ${ACK_DEADLINE_MS} ms`), ACK_DEADLINE_MS);
      const retryNum = Number(header(req, 'x-slack-retry-num'));
      const event: ReceiverEvent = {
        body,
        retryNum: Number.isInteger(retryNum) ? retryNum : undefined,
        retryReason: header(req, 'x-slack-retry-reason'),
        ack: async (response?: unknown) => {
          if (acked) throw new ReceiverMultipleAckError();
          acked = true;
          clearTimeout(late);
          resolve({ acked: true, response });
        },
      };
      app.processEvent(event).then(
        () => {
          clearTimeout(late);
          resolve({ acked: false });
        },
        (error: unknown) => {
          clearTimeout(late);
          this.opts.log.error({ room: 'slack', err: error }, 'a Slack request failed');
          resolve({ acked: false, error });
        },
      );
    });
  }
}

function header(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Interactivity arrives as a form with one `payload` field of JSON; the Events API as JSON. */
function parseBody(raw: string, contentType: string): Record<string, unknown> {
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(raw);
    const payload = form.get('payload');
    return payload !== null ? JSON.parse(payload) : Object.fromEntries(form);
  }
  return JSON.parse(raw);
}
