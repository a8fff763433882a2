// targets.yaml, read strictly: every problem is collected with its line and key, so an operator fixes them in one pass.
import { createHash } from 'node:crypto';
import { isMap, isScalar, LineCounter, parseDocument, type Node } from 'yaml';
import { reservedHeaderReason } from '../network';
// The policy room's line-naming YAML reader, by its leaf files: the policy door would import domain/ and, through it,
// the executors, which import this room (a cycle at load time).
import { formatProblem, ProblemList, type PolicyProblem } from '../policy/problems';
import { MapReader } from '../policy/yaml-reader';
import { referenceProblems } from './references';
import type { HttpTarget, PgParamType, PostgresStatement, PostgresTarget, RetrySchedule, Target, TargetSet } from './types';

export const PG_PARAM_TYPES: readonly PgParamType[] = ['text', 'int', 'bigint', 'numeric', 'bool', 'uuid', 'timestamptz', 'jsonb'];

/** Defaults and caps: a target can make Interlock wait and retry, but never without bound. */
export const TARGET_LIMITS = {
  timeoutSeconds: { default: 30, max: 600 },
  attempts: { default: 6, max: 20 },
  maxIntervalSeconds: { default: 30, max: 600 },
} as const;

const TARGET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const STATEMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const HTTP_KEYS = ['type', 'url', 'headers', 'timeout', 'retry'] as const;
const POSTGRES_KEYS = ['type', 'url', 'statements', 'timeout', 'retry'] as const;
const SENDABLE = /^[\x20-\x7e\t]*$/;

/** Thrown when targets.yaml cannot be used; every problem names the file, line and key. */
export class TargetsError extends Error {
  override readonly name = 'TargetsError';
  readonly problems: readonly PolicyProblem[];
  constructor(readonly source: string, problems: PolicyProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`${source} has ${count}:\n${problems.map((p) => '  ' + formatProblem(source, p)).join('\n')}`);
    this.problems = Object.freeze(problems.slice());
  }
}

/** `sha256:` of the file's bytes: the version a reload reports. The file holds references, never secrets. */
export function targetsVersionOf(bytes: string | Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}

class LoadedTargets implements TargetSet {
  private readonly byName: ReadonlyMap<string, Target>;
  constructor(readonly version: string, targets: Target[]) {
    this.byName = new Map(targets.map((t) => [t.name, t]));
  }
  get(name: string): Target | undefined {
    return this.byName.get(name);
  }
  all(): Target[] {
    return [...this.byName.values()];
  }
}

/** No file: no targets, so every http or postgres submission is refused. */
export const NO_TARGETS: TargetSet = new LoadedTargets('none', []);

/** Parses targets.yaml; throws TargetsError listing every problem. An empty file configures no targets. */
export function parseTargets(text: string, source = 'targets.yaml'): TargetSet {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const problems = new ProblemList(lineCounter);
  if (doc.errors.length > 0) {
    for (const e of doc.errors) problems.items.push({ line: e.linePos?.[0].line ?? null, ruleId: null, path: '', message: `YAML syntax: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}` });
    throw new TargetsError(source, problems.items);
  }
  const targets: Target[] = [];
  if (doc.contents !== null) {
    const top = MapReader.of(problems, doc.contents, '', null, ['targets']);
    const entries = top?.has('targets') ? top.raw('targets') : null;
    if (entries !== null && entries !== undefined && !(isScalar(entries) && entries.value === null)) {
      if (!isMap(entries)) problems.add(entries, 'targets', 'must be a mapping of target names to targets, e.g. exporter: {type: http, url: https://exporter.internal/}');
      else {
        for (const pair of entries.items) {
          const name = isScalar(pair.key) ? String(pair.key.value) : '';
          if (!TARGET_NAME.test(name)) {
            problems.add(pair.key, `targets.${name}`, 'a target name is letters, digits, _ . - (up to 100, starting with a letter or digit)');
            continue;
          }
          const target = readTarget(problems, pair.value as Node | null, name);
          if (target) targets.push(target);
        }
      }
    }
  }
  if (problems.items.length > 0) throw new TargetsError(source, problems.items.slice().sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  return new LoadedTargets(targetsVersionOf(text), targets);
}

function readTarget(problems: ProblemList, node: Node | null, name: string): Target | undefined {
  const path = `targets.${name}`;
  const type = isMap(node) ? node.get('type') : undefined;
  if (type !== 'http' && type !== 'postgres') {
    const r = MapReader.of(problems, node, path, null, [...new Set([...HTTP_KEYS, ...POSTGRES_KEYS])]);
    if (r && r.require('type', 'http or postgres')) r.oneOf('type', ['http', 'postgres']);
    return undefined;
  }
  const r = MapReader.of(problems, node, path, null, type === 'http' ? HTTP_KEYS : POSTGRES_KEYS);
  if (!r) return undefined;
  const timeoutSeconds = capped(r, 'timeout', r.duration('timeout'), TARGET_LIMITS.timeoutSeconds) ?? TARGET_LIMITS.timeoutSeconds.default;
  const retry = readRetry(r);
  const base = { name, timeoutSeconds, retry };
  if (type === 'http') {
    const url = r.require('url', 'the base URL every call lies under, e.g. https://exporter.internal/') ? readBaseUrl(r) : undefined;
    const headers = readHeaders(r);
    return url && headers ? ({ ...base, type, url, headers } satisfies HttpTarget) : undefined;
  }
  const url = r.require('url', 'a postgres:// URL or a reference such as ${env:BILLING_DATABASE_URL}') ? readDatabaseUrl(r) : undefined;
  const statements = r.require('statements', 'the named statements this target may run') ? readStatements(r) : undefined;
  return url && statements ? ({ ...base, type, url, statements } satisfies PostgresTarget) : undefined;
}

function capped(r: MapReader, key: string, value: number | undefined, limit: { max: number }): number | undefined {
  if (value === undefined || value <= limit.max) return value;
  r.report(r.raw(key), r.pathOf(key), `${value} is more than the cap of ${limit.max}; lower it`);
  return undefined;
}

function readRetry(target: MapReader): RetrySchedule {
  const fallback = { attempts: TARGET_LIMITS.attempts.default, maxIntervalSeconds: TARGET_LIMITS.maxIntervalSeconds.default };
  const r = target.map('retry', ['attempts', 'max_interval']);
  if (!r) return fallback;
  const attempts = capped(r, 'attempts', r.integer('attempts', 1), TARGET_LIMITS.attempts);
  const maxInterval = capped(r, 'max_interval', r.duration('max_interval'), TARGET_LIMITS.maxIntervalSeconds);
  return { attempts: attempts ?? fallback.attempts, maxIntervalSeconds: maxInterval ?? fallback.maxIntervalSeconds };
}

/**
 * The base every call must lie under: an absolute http(s) URL, literal (it is what submissions are checked
 * against), with no user name, password, query or fragment, and a plain path (no `.`/`..`, encoded `/` or `\`).
 */
function readBaseUrl(r: MapReader): string | undefined {
  const raw = r.string('url');
  if (raw === undefined) return undefined;
  const bad = (message: string) => void r.report(r.raw('url'), r.pathOf('url'), message);
  if (raw.includes('${')) return bad('an http target\'s url is a literal base URL, never a reference: submissions are checked against it; put credentials in headers');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return bad(`"${raw}" is not an absolute URL; write e.g. https://exporter.internal/`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return bad(`the scheme ${url.protocol} is not http or https`);
  if (url.username || url.password) return bad('the base URL carries a user name or password; put credentials in headers, as references');
  if (raw.includes('?') || raw.includes('#')) return bad('the base URL has a query or fragment; a base is scheme, host, port and path only');
  if (raw.includes('\\') || /%(2f|5c)/i.test(raw)) return bad('the base URL holds a backslash or an encoded / or \\');
  if (/\/\.{1,2}(\/|$)/.test(raw.slice(url.protocol.length + 2))) return bad('the base URL has a . or .. path segment');
  return url.href;
}

function readHeaders(r: MapReader): Record<string, string> | undefined {
  const headers = r.stringMap('headers') ?? {};
  const raw = r.raw('headers');
  const lineOf = (name: string) => (isMap(raw) ? raw.items.find((p) => isScalar(p.key) && p.key.value === name)?.value : raw);
  const seen = new Set<string>();
  let ok = true;
  for (const [name, template] of Object.entries(headers)) {
    const fail = (message: string) => {
      r.report(lineOf(name), `${r.pathOf('headers')}.${name}`, message);
      ok = false;
    };
    const reserved = reservedHeaderReason(name);
    if (reserved) fail(reserved);
    else if (seen.has(name.toLowerCase())) fail(`${name} is given twice (header names are case-insensitive)`);
    seen.add(name.toLowerCase());
    for (const p of referenceProblems(template)) fail(p);
    if (!SENDABLE.test(template)) fail('has characters an HTTP header cannot carry (only visible ASCII, space and tab)');
  }
  return ok ? headers : undefined;
}

function readDatabaseUrl(r: MapReader): string | undefined {
  const url = r.string('url');
  if (url === undefined) return undefined;
  const problems = referenceProblems(url);
  for (const p of problems) r.report(r.raw('url'), r.pathOf('url'), p);
  if (problems.length > 0) return undefined;
  if (!url.includes('${') && !/^postgres(ql)?:\/\//.test(url)) {
    r.report(r.raw('url'), r.pathOf('url'), 'must be a postgres:// URL or a reference such as ${env:BILLING_DATABASE_URL} (a literal URL would put its password in the file)');
    return undefined;
  }
  return url;
}

function readStatements(target: MapReader): Record<string, PostgresStatement> | undefined {
  const node = target.raw('statements');
  if (!isMap(node) || node.items.length === 0) {
    target.report(node, target.pathOf('statements'), 'must be a mapping of statement names to {sql, params}, with at least one');
    return undefined;
  }
  const out: Record<string, PostgresStatement> = {};
  let ok = true;
  for (const pair of node.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    const path = `${target.pathOf('statements')}.${name}`;
    if (!STATEMENT_NAME.test(name)) {
      target.report(pair.key, path, 'a statement name is letters, digits, _ . - (up to 100, starting with a letter or digit)');
      ok = false;
      continue;
    }
    const s = MapReader.of(target.problems, pair.value, path, null, ['sql', 'params']);
    if (!s) {
      ok = false;
      continue;
    }
    const sql = s.require('sql', 'the statement, with $1, $2 ... for its arguments') ? s.string('sql') : undefined;
    const params = (s.has('params') ? s.strings('params') : []) ?? undefined;
    const badType = params?.find((p) => !(PG_PARAM_TYPES as readonly string[]).includes(p));
    if (badType !== undefined) s.report(s.raw('params'), s.pathOf('params'), `"${badType}" is not a parameter type; use one of ${PG_PARAM_TYPES.join(', ')}`);
    if (sql !== undefined && params && badType === undefined) {
      const highest = Math.max(0, ...[...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
      if (highest !== params.length) s.report(s.raw('params'), s.pathOf('params'), `the sql uses $1..$${highest} but params lists ${params.length} type(s); give one type per $n`);
      else {
        out[name] = { sql, params: params as PgParamType[] };
        continue;
      }
    }
    ok = false;
  }
  return ok ? out : undefined;
}
