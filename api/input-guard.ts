import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, ErrorCode } from './errors';
import { OPTIONAL_BODY } from './openapi';

/** JSON bodies nested deeper than this are refused before they are parsed (contract: 400 above 32). */
export const MAX_JSON_DEPTH = 32;

/**
 * Characters Postgres cannot store in text or jsonb: NUL, and UTF-16 halves without their other half (which
 * JSON.stringify writes as `\udXXX` escapes that jsonb rejects). Either one wedged an action's audit write.
 */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The path of the first string (key or value) in `value` that cannot be stored, or null. Iterative: no stack limit. */
export function findUnstorable(value: unknown, root: string): string | null {
  const found = firstUnstorable(value, root, false);
  return found && found.at;
}

/**
 * The first string (key or value) that cannot be stored, and with `numbers` the first number JSON cannot carry
 * (`1e400` parses to Infinity, which no JSON, no hash over canonical JSON and no jsonb column can hold), in one
 * walk; its path and which it is, or null. Iterative: no stack limit.
 */
function firstUnstorable(value: unknown, root: string, numbers: boolean): { at: string; kind: 'character' | 'number' } | null {
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [v, at] = stack.pop()!;
    if (typeof v === 'string') {
      if (UNSTORABLE.test(v)) return { at, kind: 'character' };
    } else if (typeof v === 'number') {
      if (numbers && !Number.isFinite(v)) return { at, kind: 'number' };
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push([item, `${at}[${i}]`]));
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        const path = at ? `${at}.${k}` : k;
        if (UNSTORABLE.test(k)) return { at: path, kind: 'character' };
        stack.push([item, path]);
      }
    }
  }
  return null;
}

/** How deep `text` nests arrays and objects, counted without parsing it (brackets inside strings do not count). */
export function jsonDepth(text: string, stopAbove = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
      if (max > stopAbove) return max;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

const unstorable = (field: string) =>
  new ApiError(400, ErrorCode.invalidRequest, `${field} contains a character that cannot be stored (NUL or an unpaired UTF-16 surrogate); remove it`, [{ field, message: 'contains NUL or an unpaired surrogate' }]);

/** Refuses a request whose path, query or body carries a string that cannot be stored; names the field. */
export function refuseUnstorable(req: Pick<FastifyRequest, 'params' | 'query' | 'body'>): void {
  for (const [part, value] of [['params', req.params], ['querystring', req.query], ['body', req.body]] as const) {
    const found = firstUnstorable(value, part === 'body' ? '' : part, part === 'body');
    if (found === null) continue;
    const field = found.at || 'body';
    if (found.kind === 'character') throw unstorable(field);
    throw new ApiError(400, ErrorCode.invalidRequest, `${field} is a number too large for JSON to carry (beyond ±1.8e308); send it as a string`, [{ field, message: 'number out of range' }]);
  }
}

/**
 * Every JSON body is depth-checked before fastify's own parser (with its prototype-poisoning protection) reads it,
 * and every request's strings are checked for what Postgres cannot store, before schema validation runs.
 */
export function installInputGuards(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset && charset !== 'utf-8' && charset !== 'utf8') {
      done(new ApiError(415, ErrorCode.unsupportedMediaType, `charset ${charset} is not accepted; send JSON as UTF-8`), undefined);
      return;
    }
    const text = body as string;
    // A route whose body is optional (cancel) takes an empty body sent with Content-Type: application/json as none.
    if (text.trim() === '' && (req.routeOptions.schema as Record<string, unknown> | undefined)?.[OPTIONAL_BODY]) {
      done(null, undefined);
      return;
    }
    if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
      done(new ApiError(400, ErrorCode.invalidRequest, `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels; flatten it`, [{ field: 'body', message: `nesting deeper than ${MAX_JSON_DEPTH}` }]), undefined);
      return;
    }
    parseJson(req, text, done);
  });
  app.addHook('preValidation', async (req) => refuseUnstorable(req));
}
