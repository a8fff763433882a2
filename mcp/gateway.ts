// The gateway's MCP server, one per agent session: lists the upstreams' tools (namespaced `S__T` when there are
// several servers, annotations kept) and judges every tools/call by the policy before anything reaches an upstream.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolRequest, type CallToolResult, type ServerNotification, type ServerRequest, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Submission } from '../domain/action';
import type { Upstream } from './config';
import { deniedByPolicy, notNow, refused } from './answers';
import { holdCall } from './held-call';
import { refusalOf, type InterlockPort } from './port';
import type { McpConfigSource } from './store';
import type { UpstreamPool } from './upstreams';

export interface GatewaySession {
  port: InterlockPort;
  pool: UpstreamPool;
  config: McpConfigSource;
  /** The person the agent acts for in this session (INTERLOCK_ON_BEHALF_OF, or the Interlock-On-Behalf-Of header). */
  onBehalfOf: string | null;
  log: { warn(obj: object, msg: string): void };
}

const SEPARATOR = '__';

/** The name the agent sees for an upstream tool. */
const listedName = (servers: Upstream[], server: string, tool: string) => (servers.length > 1 ? `${server}${SEPARATOR}${tool}` : tool);

function locate(servers: Upstream[], name: string): { server: Upstream; tool: string } | null {
  if (servers.length === 1) return { server: servers[0], tool: name };
  const at = name.indexOf(SEPARATOR);
  const server = at > 0 ? servers.find((s) => s.name === name.slice(0, at)) : undefined;
  return server ? { server, tool: name.slice(at + SEPARATOR.length) } : null;
}

/** The action a call is judged as: `mcp.<server>.<tool>` on its configured resource, its arguments as params. */
export function callSubmission(server: Upstream, tool: Tool, args: Record<string, unknown>, onBehalfOf: string | null, client: string | null): Submission {
  const template = server.resources[tool.name];
  const resource = template ? template.replace(/\{([^}]+)\}/g, (_, k: string) => String(args[k] ?? '')) : `mcp://${server.name}/${tool.name}`;
  return {
    action: `mcp.${server.name}.${tool.name}`,
    resource,
    params: args,
    ...(onBehalfOf ? { onBehalfOf } : {}),
    context: { mcp: { server: server.name, tool: tool.name, annotations: (tool.annotations as Record<string, unknown> | undefined) ?? null, client } },
    execute: { type: 'none' },
  };
}

export function createGatewayServer(s: GatewaySession): Server {
  const server = new Server({ name: 'interlock', version: '0.1.0' }, { capabilities: { tools: { listChanged: true } }, instructions: 'Every tool call passes Interlock: some run at once, some wait for a person to approve them. A pending answer names the action id; call again with the same arguments to get the outcome.' });

  // An upstream's tools changed (it said so, or mcp.yaml changed the servers): this agent is told to list them again.
  const announce = () => void server.sendToolListChanged().catch(() => {});
  s.pool.on('toolsChanged', announce);
  server.onclose = () => void s.pool.off('toolsChanged', announce);

  server.setRequestHandler(ListToolsRequestSchema, async () => {
    const servers = s.pool.servers();
    const tools: Tool[] = [];
    for (const upstream of servers) {
      try {
        for (const t of await s.pool.tools(upstream, true)) tools.push({ ...t, name: listedName(servers, upstream.name, t.name) });
      } catch (err) {
        s.log.warn({ server: upstream.name, err: String(err) }, 'an upstream MCP server could not list its tools; its tools are left out');
      }
    }
    return { tools };
  });

  server.setRequestHandler(CallToolRequestSchema, async (req, extra): Promise<CallToolResult> => {
    const upstream = { reached: false };
    try {
      return await callTool(req, extra, upstream);
    } catch (err) {
      // Over a rate or start limit (the in-process admission, or the API's 429) before anything ran: the agent may retry.
      const r = refusalOf(err);
      if (r?.code === 'rate_limited' && !upstream.reached) return notNow(req.params.name, r.message);
      throw err;
    }
  });

  const callTool = async (req: CallToolRequest, extra: RequestHandlerExtra<ServerRequest, ServerNotification>, upstream: { reached: boolean }): Promise<CallToolResult> => {
    const started = performance.now();
    const servers = s.pool.servers();
    const where = locate(servers, req.params.name);
    const tool = where ? (await s.pool.tools(where.server)).find((t) => t.name === where.tool) : undefined;
    if (!where || !tool) throw new McpError(ErrorCode.InvalidParams, `unknown tool "${req.params.name}"${servers.length > 1 ? `; tools are named <server>${SEPARATOR}<tool>` : ''}`);
    const args = req.params.arguments ?? {};
    const call = callSubmission(where.server, tool, args, s.onBehalfOf, server.getClientVersion()?.name ?? null);
    const judged = await s.port.judge(call);
    const settle = async (result: CallToolResult) => {
      await s.port.record(call, { durationMs: performance.now() - started, isError: result.isError === true }, judged);
      return result;
    };
    if (judged.problems.length > 0) return settle(refused(req.params.name, judged.problems.join('; ')));
    if (judged.outcome === 'deny') return settle(deniedByPolicy(judged, req.params.name));
    const runUpstream = () => {
      upstream.reached = true;
      return s.pool.call(where.server, where.tool, args);
    };
    if (judged.outcome === 'allow') return settle(await runUpstream().catch((err) => refused(req.params.name, `the upstream failed: ${(err as Error).message}`)));

    const token = req.params._meta?.progressToken;
    let step = 0;
    try {
      return await holdCall({
        port: s.port,
        call,
        args,
        tool: req.params.name,
        ...(({ holdSeconds, repeatWindowSeconds }) => ({ holdSeconds, repeatWindowSeconds }))(s.config.current()),
        runUpstream,
        progress: async (message) => {
          if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: ++step, message } });
        },
        log: s.log,
        signal: extra.signal,
      });
    } catch (err) {
      const r = refusalOf(err);
      if (r && r.code !== 'rate_limited') return refused(req.params.name, `${r.message} (${r.code})`);
      throw err;
    }
  };
  return server;
}
