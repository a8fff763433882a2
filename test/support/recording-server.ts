import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP stand-in for an outside service that records the calls it receives, so a test can wait for
 * one (no fixed sleeps). Subclasses answer requests in `handle` and name each call by its operation.
 */
export abstract class RecordingServer<C> {
  readonly calls: C[] = [];
  private server = createServer((req, res) => void this.read(req).then((raw) => this.handle(req, res, raw)));

  protected abstract operationOf(call: C): string;
  protected abstract handle(req: IncomingMessage, res: ServerResponse, raw: string): void | Promise<void>;

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  callsTo(operation: string, where: (c: C) => boolean = () => true): C[] {
    return this.calls.filter((c) => this.operationOf(c) === operation && where(c));
  }

  /** Polls until some recorded call satisfies `where` (no fixed sleeps). */
  async waitFor(operation: string, where: (c: C) => boolean = () => true, timeoutMs = 15_000): Promise<C> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = this.callsTo(operation, where).at(-1);
      if (found) return found;
      if (Date.now() > end) throw new Error(`no ${operation} call matched within ${timeoutMs} ms; calls: ${this.calls.map((c) => this.operationOf(c)).join(', ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async read(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString();
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
