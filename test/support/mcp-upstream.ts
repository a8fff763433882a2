// A real upstream MCP server for the gateway tests, built with the SDK: a notes store whose every tool run appends
// one line to an effects file, so a test counts what actually ran. Run as a stdio server (`tsx mcp-upstream.ts FILE`)
// or served over Streamable HTTP in the test process (`serveNotesOverHttp`), which also checks a bearer credential.
// `enable_archive` adds the tool `archive_note` and says so with `notifications/tools/list_changed`.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

export const NOTES_SCRIPT = fileURLToPath(import.meta.url);

const object = (properties: Record<string, unknown>) => ({ type: 'object' as const, properties, required: Object.keys(properties) });

export function createNotesServer(effectsFile: string): Server {
  const server = new Server({ name: 'notes', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
  let archive = false;
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: [
      ...(archive ? [{ name: 'archive_note', description: 'Archive a note', inputSchema: object({ id: { type: 'string' } }) }] : []),
      { name: 'enable_archive', description: 'Adds the archive_note tool', inputSchema: object({}) },
      { name: 'read_note', description: 'Read a note', inputSchema: object({ id: { type: 'string' } }), annotations: { readOnlyHint: true, title: 'Read a note' } },
      { name: 'write_note', description: 'Write a note', inputSchema: object({ id: { type: 'string' }, text: { type: 'string' } }), annotations: { destructiveHint: true } },
      { name: 'purge', description: 'Delete every note', inputSchema: object({}), annotations: { destructiveHint: true } },
      { name: 'explode', description: 'Always fails', inputSchema: object({ id: { type: 'string' } }) },
    ],
  }));
  server.setRequestHandler(CallToolRequestSchema, async (req) => {
    appendFileSync(effectsFile, JSON.stringify({ tool: req.params.name, args: req.params.arguments ?? {}, at: Date.now() }) + '\n');
    const args = (req.params.arguments ?? {}) as Record<string, string>;
    switch (req.params.name) {
      case 'read_note':
        return { content: [{ type: 'text', text: `note ${args.id}: hello` }] };
      case 'write_note':
        return { content: [{ type: 'text', text: `wrote note ${args.id}` }] };
      case 'purge':
        return { content: [{ type: 'text', text: 'purged' }] };
      case 'enable_archive':
        archive = true;
        await server.sendToolListChanged();
        return { content: [{ type: 'text', text: 'archive_note is listed now' }] };
      case 'archive_note':
        return { content: [{ type: 'text', text: `archived note ${args.id}` }] };
      default:
        return { content: [{ type: 'text', text: `the disk is on fire (note ${args.id})` }], isError: true };
    }
  });
  return server;
}

/** The effects the upstream recorded: one entry per tool run. */
export function effects(effectsFile: string): Array<{ tool: string; args: Record<string, unknown>; at: number }> {
  if (!existsSync(effectsFile)) return [];
  return readFileSync(effectsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** The notes server over stateless Streamable HTTP on 127.0.0.1, refusing requests without `Bearer <secret>`. */
export async function serveNotesOverHttp(effectsFile: string, secret: string): Promise<{ url: string; server: HttpServer; seenAuth: string[] }> {
  const seenAuth: string[] = [];
  const http = createServer(async (req, res) => {
    seenAuth.push(req.headers.authorization ?? '');
    if (req.headers.authorization !== `Bearer ${secret}`) {
      res.writeHead(401).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    const server = createNotesServer(effectsFile);
    res.on('close', () => void transport.close().then(() => server.close()));
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(http.address() as { port: number }).port}/mcp`, server: http, seenAuth };
}

if (process.argv[1] === NOTES_SCRIPT) {
  await createNotesServer(process.argv[2]).connect(new StdioServerTransport());
}
