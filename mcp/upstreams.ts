// The gateway's connections to its upstream MCP servers: opened on first use with credentials resolved here, in the
// gateway's process (never sent to Interlock's API, never logged), and reopened when mcp.yaml changes a server.
import { EventEmitter } from 'node:events';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { resolveRefs } from '../targets';
import type { Upstream } from './config';
import type { McpConfigSource } from './store';

interface Connection {
  /** The server's configuration as connected: a change in mcp.yaml opens a new connection. */
  shape: string;
  client: Promise<Client>;
  tools: Tool[] | null;
  /** Bumped by each `notifications/tools/list_changed`: a listing started before it is not kept. */
  generation: number;
}

const GATEWAY_INFO = { name: 'interlock-gateway', version: '0.1.0' };

async function resolved(values: Record<string, string>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) out[k] = (await resolveRefs(v)).value;
  return out;
}

async function connect(server: Upstream, onToolsChanged: () => void): Promise<Client> {
  const client = new Client(GATEWAY_INFO, { capabilities: {} });
  client.setNotificationHandler(ToolListChangedNotificationSchema, async () => onToolsChanged());
  const transport = server.kind === 'stdio'
    ? new StdioClientTransport({ command: server.command, args: server.args, env: await resolved(server.env), cwd: server.cwd ?? undefined, stderr: 'ignore' })
    : new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: await resolved(server.headers) } });
  await client.connect(transport);
  return client;
}

/**
 * One connection per configured server, shared by every agent session of this process. `toolsChanged` fires when an
 * upstream says its tools changed or mcp.yaml changed the servers; each session passes it on to its agent.
 */
export class UpstreamPool extends EventEmitter<{ toolsChanged: [] }> {
  private readonly connections = new Map<string, Connection>();

  constructor(private readonly source: McpConfigSource) {
    super();
    this.setMaxListeners(0); // one listener per agent session
  }

  servers(): Upstream[] {
    return this.source.current().servers;
  }

  server(name: string): Upstream | undefined {
    return this.servers().find((s) => s.name === name);
  }

  private connection(server: Upstream): Connection {
    const shape = JSON.stringify(server);
    const known = this.connections.get(server.name);
    if (known?.shape === shape) return known;
    if (known) void known.client.then((c) => c.close()).catch(() => {});
    const fresh: Connection = { shape, client: connect(server, () => this.toolsChanged(fresh)), tools: null, generation: 0 };
    // A failed connection is forgotten, so the next call tries again instead of failing for ever.
    fresh.client.catch(() => {
      if (this.connections.get(server.name) === fresh) this.connections.delete(server.name);
    });
    this.connections.set(server.name, fresh);
    return fresh;
  }

  /** The upstream said its tools changed: the cached list is dropped (the next use lists again) and the sessions told. */
  private toolsChanged(conn: Connection): void {
    conn.generation++;
    conn.tools = null;
    this.emit('toolsChanged');
  }

  /** The server's tools, as it lists them (fetched once per connection, again when `refresh`). */
  async tools(server: Upstream, refresh = false): Promise<Tool[]> {
    const conn = this.connection(server);
    if (conn.tools && !refresh) return conn.tools;
    const client = await conn.client;
    const generation = conn.generation;
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : undefined);
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    if (conn.generation === generation) conn.tools = tools;
    return tools;
  }

  /** Calls the tool once. Never retried: a call that may have had an effect is not repeated. */
  async call(server: Upstream, tool: string, args: Record<string, unknown>): Promise<CallToolResult> {
    const client = await this.connection(server).client;
    return (await client.callTool({ name: tool, arguments: args })) as CallToolResult;
  }

  /** Closes connections to servers no longer configured (or changed); the next use reopens changed ones. */
  prune(): void {
    this.emit('toolsChanged');
    for (const [name, conn] of this.connections) {
      const now = this.server(name);
      if (!now || JSON.stringify(now) !== conn.shape) {
        this.connections.delete(name);
        void conn.client.then((c) => c.close()).catch(() => {});
      }
    }
  }

  async close(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((c) => c.client.then((client) => client.close()).catch(() => {})));
  }
}
