import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { buildApi } from '../api';
import { temporalConnectionOptions } from '../config';
import type { Channel } from '../channels';
import { tracingClientInterceptors } from '../observability';
import type { InterlockProcess } from './process';

export interface ApiRole {
  /** Where this process listens (the actual port when PORT=0). */
  url: string;
  temporal: Client;
}

/** Serves the REST API (and the channels' inbound routes) against the Temporal frontend at `address`. */
export async function startApiRole(p: InterlockProcess, opts: { address: string; channels: readonly Channel[] }): Promise<ApiRole> {
  const { config, services, lifecycle } = p;
  const connection = await Connection.connect(temporalConnectionOptions(config, opts.address));
  lifecycle.add('Temporal client', () => connection.close());
  const temporal = new Client({ connection, namespace: config.temporalNamespace, interceptors: tracingClientInterceptors() });
  const mountChannels = opts.channels.some((c) => c.mount);
  const api = await buildApi({
    services,
    temporal,
    extend: mountChannels ? async (app, actions) => void (await Promise.all(opts.channels.map((c) => c.mount?.(app, actions)))) : undefined,
  });
  await api.listen({ host: config.host, port: config.port });
  lifecycle.add('API', () => api.close());
  const { port } = api.server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, temporal };
}
