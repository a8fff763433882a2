import { createServer, type IncomingHttpHeaders } from 'node:http';
import { Webhook } from 'standardwebhooks';

export interface SinkRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  signatureValid: boolean;
}

/**
 * A local receiver for the http executor: records every request, checks its Standard Webhooks signature,
 * and applies each Idempotency-Key once (as a well-behaved receiver would), answering with scripted failures first.
 */
export async function startSink(secret: string, script: { failFirst?: number; failStatus?: number; status?: number; headers?: Record<string, string>; echoHeaders?: boolean } = {}) {
  const requests: SinkRequest[] = [];
  const applied = new Map<string, number>();
  let failuresLeft = script.failFirst ?? 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      let signatureValid = false;
      try {
        new Webhook(secret).verify(body, req.headers as Record<string, string>);
        signatureValid = true;
      } catch {
        signatureValid = false;
      }
      requests.push({ method: req.method!, path: req.url!, headers: req.headers, body, signatureValid });
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        res.writeHead(script.failStatus ?? 503).end('temporarily unavailable');
        return;
      }
      const key = String(req.headers['idempotency-key']);
      applied.set(key, (applied.get(key) ?? 0) + 1);
      res.writeHead(script.status ?? 200, { 'content-type': 'application/json', ...script.headers }).end(JSON.stringify({ applied: key, times: applied.get(key), ...(script.echoHeaders ? { headers: req.headers } : {}) }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/run`,
    /** The base URL a target for this sink names in targets.yaml. */
    base: `http://127.0.0.1:${port}/`,
    /** The `host:port` to list in INTERLOCK_HTTP_ALLOW_PRIVATE for the executor to reach this loopback sink. */
    hostPort: `127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * targets.yaml text with one http target per sink, named by its key, at the sink's base URL; `more` adds keys to
 * a target (`headers: {Authorization: "Bearer ${env:X}"}`).
 */
export function sinkTargets(sinks: Record<string, { base: string }>, more: Record<string, string> = {}): string {
  const lines = Object.entries(sinks).map(([name, sink]) => `  ${name}: {type: http, url: "${sink.base}"${more[name] ? `, ${more[name]}` : ''}}`);
  return `targets:\n${lines.join('\n')}\n`;
}
