// `interlock mcp`: the gateway over stdio, for an agent host that launches it. A client of the REST API (through
// `interlock/client`), so it runs beside the agent and needs only INTERLOCK_URL and INTERLOCK_TOKEN.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { Interlock } from '../client';
import { clientPort } from './client-port';
import { createGatewayServer } from './gateway';
import { McpConfigStore } from './store';
import { UpstreamPool } from './upstreams';

export interface StdioGatewayOptions {
  url: string;
  token: string;
  onBehalfOf: string | null;
  configFile: string;
  /** Where diagnostics go: stdout carries the protocol, so never there. */
  warn(message: string): void;
}

/** Serves until the agent host closes stdin; a broken mcp.yaml stops it before it answers anything. */
export async function runStdioGateway(o: StdioGatewayOptions): Promise<void> {
  const store = new McpConfigStore(o.configFile, { info: () => {}, error: (_obj, msg) => o.warn(msg ?? 'mcp.yaml rejected') });
  await store.load();
  store.start();
  const pool = new UpstreamPool(store);
  store.on('reload', () => pool.prune());
  const log = { warn: (obj: object, msg: string) => o.warn(`${msg} ${JSON.stringify(obj)}`) };
  const server = createGatewayServer({ port: clientPort(new Interlock({ url: o.url, token: o.token })), pool, config: store, onBehalfOf: o.onBehalfOf, log });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.connect(transport);
  await closed;
  await server.close().catch(() => {});
  await store.stop();
  await pool.close();
}
