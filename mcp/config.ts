// mcp.yaml, read strictly: the upstream MCP servers the gateway fronts, how long a call is held, and how long a settled
// action answers repeats. Every problem is collected with its line and key, as targets.yaml and policy.yaml do.
import { createHash } from 'node:crypto';
import { isMap, isScalar, LineCounter, parseDocument, type Node } from 'yaml';
import { formatProblem, type PolicyProblem } from '../policy';
// The policy room's line-naming YAML reader, as targets/parse.ts uses it (its door does not export the reader).
import { ProblemList } from '../policy/problems';
import { MapReader } from '../policy/yaml-reader';
import { referenceProblems } from '../targets';

/** An upstream launched as a child process, speaking MCP over its stdin/stdout. */
export interface StdioUpstream {
  name: string;
  kind: 'stdio';
  command: string;
  args: string[];
  /** Values may hold `${env:NAME}` / `${file:/path}` references, resolved in the gateway's process when it connects. */
  env: Record<string, string>;
  cwd: string | null;
  resources: Record<string, string>;
}

/** An upstream reached over Streamable HTTP. */
export interface HttpUpstream {
  name: string;
  kind: 'http';
  url: string;
  /** Values may hold references (e.g. `Bearer ${env:TICKETS_TOKEN}`), resolved when the gateway connects. */
  headers: Record<string, string>;
  resources: Record<string, string>;
}

export type Upstream = StdioUpstream | HttpUpstream;

export interface McpConfig {
  /** `sha256:` of the file's bytes; `none` when no file configures the gateway. */
  version: string;
  holdSeconds: number;
  repeatWindowSeconds: number;
  servers: Upstream[];
}

export const MCP_DEFAULTS = { holdSeconds: 45, repeatWindowSeconds: 600 } as const;

/** Client timeouts are about 60 s: a hold longer than that would be answered to nobody. */
const MAX_HOLD_SECONDS = 55;
// `__` separates server from tool in namespaced names, so a server name may not contain it.
const SERVER_NAME = /^(?!.*__)[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const STDIO_KEYS = ['command', 'args', 'env', 'cwd', 'resources'] as const;
const HTTP_KEYS = ['url', 'headers', 'resources'] as const;

export const NO_MCP: McpConfig = { version: 'none', ...MCP_DEFAULTS, servers: [] };

/** Thrown when mcp.yaml cannot be used; every problem names the file, line and key. */
export class McpConfigError extends Error {
  override readonly name = 'McpConfigError';
  readonly problems: readonly PolicyProblem[];
  constructor(readonly source: string, problems: PolicyProblem[]) {
    super(`${source} has ${problems.length === 1 ? '1 problem' : `${problems.length} problems`}:\n${problems.map((p) => '  ' + formatProblem(source, p)).join('\n')}`);
    this.problems = Object.freeze(problems.slice());
  }
}

export function mcpVersionOf(bytes: string | Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}

/** Parses mcp.yaml; throws McpConfigError listing every problem. An empty file configures no servers. */
export function parseMcpConfig(text: string, source = 'mcp.yaml'): McpConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const problems = new ProblemList(lineCounter);
  if (doc.errors.length > 0) {
    const items = doc.errors.map((e) => ({ line: e.linePos?.[0].line ?? null, ruleId: null, path: '', message: `YAML syntax: ${e.message.split('\n')[0]}` }));
    throw new McpConfigError(source, items);
  }
  const config: McpConfig = { version: mcpVersionOf(text), ...MCP_DEFAULTS, servers: [] };
  if (doc.contents !== null) {
    const top = MapReader.of(problems, doc.contents, '', null, ['hold', 'repeat_window', 'servers']);
    if (top) {
      const hold = top.duration('hold');
      if (hold !== undefined && hold > MAX_HOLD_SECONDS) top.report(top.raw('hold'), 'hold', `${hold}s is longer than MCP clients wait for an answer (about 60 s); use at most ${MAX_HOLD_SECONDS}s`);
      else if (hold !== undefined) config.holdSeconds = hold;
      config.repeatWindowSeconds = top.duration('repeat_window') ?? config.repeatWindowSeconds;
      config.servers = readServers(problems, top);
    }
  }
  if (problems.items.length > 0) throw new McpConfigError(source, problems.items.slice().sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  return config;
}

function readServers(problems: ProblemList, top: MapReader): Upstream[] {
  const node = top.raw('servers');
  if (node === undefined || node === null || (isScalar(node) && node.value === null)) return [];
  if (!isMap(node)) {
    top.report(node, 'servers', 'must be a mapping of server names to servers, e.g. files: {command: npx, args: [...]}');
    return [];
  }
  return node.items.flatMap((pair) => {
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    if (SERVER_NAME.test(name)) return readServer(problems, pair.value as Node | null, name) ?? [];
    problems.add(pair.key, `servers.${name}`, 'a server name is letters, digits, _ and - (up to 64, starting with a letter or digit, no "__")');
    return [];
  });
}

function readServer(problems: ProblemList, node: Node | null, name: string): Upstream | undefined {
  const path = `servers.${name}`;
  const isHttp = isMap(node) && node.has('url');
  const isStdio = isMap(node) && node.has('command');
  if (isHttp === isStdio) {
    problems.add(node, path, isHttp ? 'give either command (stdio) or url (Streamable HTTP), not both' : 'needs command (a stdio server to launch) or url (a Streamable HTTP endpoint)');
    return undefined;
  }
  const r = MapReader.of(problems, node, path, null, isHttp ? HTTP_KEYS : STDIO_KEYS);
  if (!r) return undefined;
  const resources = r.stringMap('resources') ?? {};
  if (isHttp) {
    const url = r.string('url');
    let ok = url !== undefined;
    if (url !== undefined) {
      try {
        const u = new URL(url);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
      } catch {
        r.report(r.raw('url'), r.pathOf('url'), `"${url}" is not an http(s) URL`);
        ok = false;
      }
    }
    const headers = templates(r, 'headers');
    return ok && headers ? { name, kind: 'http', url: url!, headers, resources } : undefined;
  }
  const command = r.string('command');
  const args = r.has('args') ? r.strings('args') : [];
  const env = templates(r, 'env');
  const cwd = r.has('cwd') ? r.string('cwd') : null;
  if (command === undefined || args === undefined || env === undefined || cwd === undefined) return undefined;
  return { name, kind: 'stdio', command, args, env, cwd, resources };
}

/** A mapping whose values may hold references; a bad reference is reported at its key. */
function templates(r: MapReader, key: string): Record<string, string> | undefined {
  if (!r.has(key)) return {};
  const map = r.stringMap(key);
  if (!map) return undefined;
  const raw = r.raw(key);
  let ok = true;
  for (const [k, v] of Object.entries(map)) {
    for (const p of referenceProblems(v)) {
      const at = isMap(raw) ? raw.items.find((i) => isScalar(i.key) && i.key.value === k)?.value : raw;
      r.report(at, `${r.pathOf(key)}.${k}`, p);
      ok = false;
    }
  }
  return ok ? map : undefined;
}
