import { createServer, type IncomingHttpHeaders } from 'node:http';
import { Webhook } from 'standardwebhooks';

export interface SinkRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  signatureValid: boolean;
}

export interface SinkScript {
  failFirst?: number;
  failStatus?: number;
  status?: number;
  headers?: Record<string, string>;
  /** Applies the effect, then keeps the answer back until `releaseHeld()` (a receiver slow to respond). */
  hold?: (request: SinkRequest) => boolean;
  /** Answers with the request's headers (tests that look for what was sent). */
  echoHeaders?: boolean;
}

/**
 * A local receiver for the http executor: records every request, checks its Standard Webhooks signature,
 * and applies each Idempotency-Key once, as a well-behaved receiver does: a later delivery of an applied key
 * is answered as the first was, without applying again. Scripted failures come first, and apply nothing.
 */
export async function startSink(secret: string, script: SinkScript = {}) {
  const requests: SinkRequest[] = [];
  /** Effects applied, by Idempotency-Key: each key at most once. */
  const effects = new Map<string, number>();
  /** Deliveries received, by Idempotency-Key, including replays and scripted failures. */
  const deliveries = new Map<string, number>();
  const held: (() => void)[] = [];
  const waiters: { until: () => boolean; resolve: () => void }[] = [];
  const wake = () => {
    for (const w of waiters.filter((x) => x.until())) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
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
      const request = { method: req.method!, path: req.url!, headers: req.headers, body, signatureValid };
      requests.push(request);
      const key = String(req.headers['idempotency-key']);
      deliveries.set(key, (deliveries.get(key) ?? 0) + 1);
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        res.writeHead(script.failStatus ?? 503).end('temporarily unavailable');
        return wake();
      }
      const replayed = effects.has(key);
      if (!replayed) effects.set(key, 1);
      const answer = () => res.writeHead(script.status ?? 200, { 'content-type': 'application/json', ...script.headers }).end(JSON.stringify({ applied: key, times: effects.get(key), replayed, ...(script.echoHeaders ? { headers: req.headers } : {}) }));
      if (!replayed && script.hold?.(request)) held.push(answer);
      else answer();
      wake();
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
    effects,
    deliveries,
    /** Answers waiting for `releaseHeld()` (an answer to a client that has gone is written to nobody). */
    get heldCount() {
      return held.length;
    },
    /** Sends every held answer. */
    releaseHeld: () => held.splice(0).forEach((answer) => answer()),
    /** Resolves once `until` holds, re-checked on every request. */
    waitFor: (until: () => boolean) => new Promise<void>((resolve) => (until() ? resolve() : waiters.push({ until, resolve }))),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
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
