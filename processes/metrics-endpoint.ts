import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from '../observability';

/**
 * `interlock worker --metrics-port N`: the worker has no API, so it serves `/metrics` (its own and the Temporal
 * SDK's worker metrics) and `/healthz` on a port of its own, for Prometheus and the container's health check.
 */
export async function serveMetrics(metrics: Metrics, opts: { host: string; port: number }): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const route = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && route === '/metrics') {
      metrics.exposition().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        () => res.writeHead(503, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
      );
    } else if (req.method === 'GET' && route === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics and /healthz are served here\n');
    }
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(opts.port, opts.host, resolve));
  const { port } = server.address() as AddressInfo;
  const host = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  return { url: `http://${host}:${port}/metrics`, close: () => new Promise((r) => server.close(() => r())) };
}
