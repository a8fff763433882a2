// The MCP gateway's routes: Streamable HTTP at `/mcp` (a session per agent connection, behind the bearer token), and
// `POST /v1/mcp/judge` + `POST /v1/mcp/calls`, where a stdio gateway (`interlock mcp`) judges and records its direct calls.
import { randomUUID } from 'node:crypto';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ActionCore, CoreServices } from '../../core';
import { SubmissionSchema } from '../../domain/action';
import { corePort, createGatewayServer, judgeCall, McpConfigStore, recordCall, UpstreamPool } from '../../mcp';
import { ApiError, authenticatedErrors, bodyErrors, ErrorCode } from '../errors';
import type { SubmissionAdmission } from '../limits/submission-admission';

interface Session {
  transport: StreamableHTTPServerTransport;
  server: Server;
  principal: string;
  lastUsed: number;
}

/** A session no request has used for this long is closed: clients that vanish without DELETE leave nothing behind. */
const SESSION_IDLE_MS = 30 * 60_000;

const ON_BEHALF_OF = 'interlock-on-behalf-of';


export async function mcpRoutes(app: FastifyInstance, { services, actions, admission }: { services: CoreServices; actions: ActionCore; admission: SubmissionAdmission }) {
  app.addHook('onRequest', app.requireToken);
  const store = new McpConfigStore(services.config.mcpFile, services.log);
  await store.load(); // a broken mcp.yaml stops start-up, as a broken policy does
  store.start();
  const pool = new UpstreamPool(store);
  store.on('reload', () => pool.prune());
  const sessions = new Map<string, Session>();
  const sweep = setInterval(() => {
    for (const [id, s] of sessions) if (Date.now() - s.lastUsed > SESSION_IDLE_MS) {
      sessions.delete(id);
      void s.transport.close().catch(() => {});
    }
  }, 60_000).unref();
  app.addHook('onClose', async () => {
    clearInterval(sweep);
    await store.stop();
    await Promise.all([...sessions.values()].map((s) => s.transport.close().catch(() => {})));
    await pool.close();
  });

  const handle = async (req: FastifyRequest, reply: FastifyReply) => {
    const sid = req.headers['mcp-session-id'];
    let session = typeof sid === 'string' ? sessions.get(sid) : undefined;
    if (typeof sid === 'string' && !session) throw new ApiError(404, ErrorCode.notFound, 'unknown or ended MCP session (Mcp-Session-Id); send a new initialize request without it');
    // A session belongs to the token that opened it: another principal cannot ride on it.
    if (session && session.principal !== req.principal.id) throw new ApiError(403, ErrorCode.forbidden, 'this MCP session was opened with another principal\'s token');
    if (!session) {
      if (req.method !== 'POST' || !isInitializeRequest(req.body)) throw new ApiError(400, ErrorCode.invalidRequest, 'no Mcp-Session-Id header: a session starts with a POST of the initialize request');
      const onBehalfOf = req.headers[ON_BEHALF_OF];
      const principal = req.principal;
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void sessions.set(id, opened),
      });
      const server = createGatewayServer({ port: corePort(actions, services, principal, (id) => admission.admit(id)), pool, config: store, onBehalfOf: typeof onBehalfOf === 'string' && onBehalfOf ? onBehalfOf : null, log: services.log });
      const opened: Session = { transport, server, principal: principal.id, lastUsed: Date.now() };
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      await server.connect(transport);
      session = opened;
    }
    session.lastUsed = Date.now();
    reply.hijack();
    await session.transport.handleRequest(req.raw, reply.raw, req.body);
  };
  const schema = { tags: ['mcp'], security: [{ bearer: [] }], response: authenticatedErrors(403, 404), summary: 'The MCP gateway over Streamable HTTP (JSON-RPC; header Interlock-On-Behalf-Of names the person the agent acts for)' };
  app.post('/mcp', { schema }, handle);
  app.get('/mcp', { schema }, handle);
  app.delete('/mcp', { schema }, handle);

  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const CallBody = { call: SubmissionSchema };
  r.post('/v1/mcp/judge', {
    schema: {
      tags: ['mcp'], security: [{ bearer: [] }],
      summary: 'A stdio MCP gateway asks how the policy judges a tool call (a dry run: starts and records nothing)',
      body: Type.Object(CallBody, { additionalProperties: false }),
      response: { ...bodyErrors(), 200: Type.Object({ outcome: Type.Union([Type.Literal('allow'), Type.Literal('deny'), Type.Literal('require_approval')]), ruleId: Type.Union([Type.String(), Type.Null()]), reason: Type.String(), policyVersion: Type.String(), problems: Type.Array(Type.String()) }) },
    },
  }, async (req) => judgeCall(services, actions, req.principal, req.body.call));
  r.post('/v1/mcp/calls', {
    schema: {
      tags: ['mcp'], security: [{ bearer: [] }],
      summary: 'A stdio MCP gateway records an allowed or denied tool call (one mcp.call audit event)',
      description: 'The call is judged again here, as the caller, and the server\'s rule and policy version are recorded with the arguments\' hash (never the arguments). 409 when the call needs approval: it is then an action.',
      body: Type.Object({ ...CallBody, durationMs: Type.Number({ minimum: 0 }), isError: Type.Boolean() }, { additionalProperties: false }),
      response: { ...bodyErrors(409, 422), 201: Type.Object({ outcome: Type.String(), ruleId: Type.Union([Type.String(), Type.Null()]) }) },
    },
  }, async (req, reply) => {
    const judged = await recordCall(services, actions, req.principal, req.body.call, { durationMs: req.body.durationMs, isError: req.body.isError });
    return reply.code(201).send({ outcome: judged.outcome, ruleId: judged.ruleId });
  });
}
