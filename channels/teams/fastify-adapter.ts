import type { HttpRouteHandler, IHttpServerAdapter } from '@microsoft/teams.apps';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, ErrorCode } from '../../api';
import type { Logger } from '../../observability';
import { TEAMS_MESSAGES_PATH } from './card-ids';

/**
 * The Teams SDK's HTTP seam served by the API's own Fastify server: the SDK registers its messaging handler
 * here (token validation, then the activity's route), and the plugin below puts it on `POST /teams/messages`.
 */
export class FastifyTeamsAdapter implements IHttpServerAdapter {
  private handler: HttpRouteHandler | undefined;

  constructor(private readonly log: Logger) {}

  registerRoute(method: 'POST', path: string, handler: HttpRouteHandler): void {
    if (method === 'POST' && path === TEAMS_MESSAGES_PATH) this.handler = handler;
    else this.log.warn({ method, path }, 'the Teams SDK asked for a route Interlock does not serve; ignored');
  }

  readonly plugin = async (fastify: FastifyInstance): Promise<void> => {
    fastify.post(TEAMS_MESSAGES_PATH, { bodyLimit: 256 * 1024 }, (req, reply) => this.handle(req, reply));
  };

  private async handle(req: FastifyRequest, reply: FastifyReply) {
    if (!this.handler) return reply.code(503).send(new ApiError(503, ErrorCode.unavailable, 'the Teams bot is starting').body());
    // Refused before the SDK reads anything: a request without a Bot Framework token learns nothing more.
    if (!req.headers.authorization) return unauthorized(reply, 'missing Authorization header: Bot Framework activities carry a bearer token');
    const body = req.body as { type?: unknown; serviceUrl?: unknown } | null;
    if (!body || typeof body !== 'object' || Array.isArray(body) || typeof body.type !== 'string' || typeof body.serviceUrl !== 'string') {
      return reply.code(400).send(new ApiError(400, ErrorCode.invalidRequest, 'body: not a Bot Framework activity (an object with "type" and "serviceUrl")').body());
    }
    const res = await this.handler({ body, headers: req.headers as Record<string, string | string[]> });
    if (res.status === 401) {
      this.log.warn({ room: 'teams', activityType: body.type }, 'refused a Teams activity whose Bot Framework token did not verify');
      return unauthorized(reply, 'the Bot Framework token did not verify (signature, issuer, audience, expiry or serviceUrl)');
    }
    return reply.code(res.status).send(res.body ?? '');
  }
}

function unauthorized(reply: FastifyReply, message: string) {
  return reply.code(401).send(new ApiError(401, ErrorCode.unauthorized, message).body());
}
