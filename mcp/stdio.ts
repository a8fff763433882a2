// `interlock mcp`: the gateway over stdio, for an agent host that launches it. A client of the REST API (through
// `interlock/client`), so it runs beside the agent and needs only INTERLOCK_URL and INTERLOCK_TOKEN.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { Interlock, InterlockApiError } from '../client';
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

/** Serves until the agent host closes stdin; a broken mcp.yaml or a refused token stops it before it answers anything. */
export async function runStdioGateway(o: StdioGatewayOptions): Promise<void> {
  const store = new McpConfigStore(o.configFile, { info: () => {}, error: (_obj, msg) => o.warn(msg ?? 'mcp.yaml rejected') });
  await store.load();
  store.start();
  const pool = new UpstreamPool(store);
  store.on('reload', () => pool.prune());
  const log = { warn: (obj: object, msg: string) => o.warn(`${msg} ${JSON.stringify(obj)}`) };
  const client = new Interlock({ url: o.url, token: o.token });
  await checkToken(client, o);
  const server = createGatewayServer({ port: clientPort(client), pool, config: store, onBehalfOf: o.onBehalfOf, log });
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

/**
 * The agent's token, asked once before serving: with a token the API refuses, the gateway would list every tool
 * and then fail every call. A refusal stops it with the reason. An Interlock that cannot be reached yet is only a
 * warning: it may be starting, and until it answers each call says why it failed.
 */
async function checkToken(client: Interlock, o: StdioGatewayOptions): Promise<void> {
  try {
    await client.request('GET', '/v1/actions?limit=1'); // read-only, allowed to every principal (its own actions)
  } catch (err) {
    if (err instanceof InterlockApiError && err.status === 401) {
      throw new Error(`INTERLOCK_TOKEN was refused by Interlock at ${o.url} (${err.message}); create a token with \`npx interlock token create <principal-id>\``);
    }
    o.warn(`could not check INTERLOCK_TOKEN: ${(err as Error).message}; serving anyway, and each call fails until Interlock answers`);
  }
}
