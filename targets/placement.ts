// Where an http action is sent: a named target plus a path, or a URL under a target's base. Nothing else.
import type { HttpTarget, TargetSet } from './types';

/** The request line a submission's `execute` resolves to, against one version of targets.yaml. */
export interface HttpPlacement {
  target: HttpTarget;
  /** The full URL that is sent. */
  url: string;
}

/** Why a submission's http `execute` does not resolve to an allowed place; `field` is the submission's. */
export interface PlacementProblem {
  field: 'execute.target' | 'execute.url' | 'execute.path';
  message: string;
}

/** The fields of an http `execute` that say where it goes. */
export interface HttpWhere {
  target?: string;
  url?: string;
  path?: string;
}

const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;
const QUERY_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/;
const SCHEME_PREFIX = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** Resolves `execute` against `targets`: exactly one of target (with an optional path) or url, and it must stay under the base. */
export function placeHttp(execute: HttpWhere, targets: TargetSet): HttpPlacement | PlacementProblem {
  if (execute.target !== undefined && execute.url !== undefined) return { field: 'execute.url', message: 'give execute.target (with execute.path) or execute.url, not both' };
  if (execute.target !== undefined) return placeByName(execute.target, execute.path ?? '', targets);
  if (execute.path !== undefined) return { field: 'execute.path', message: 'execute.path goes with execute.target; with execute.url the path is part of the URL' };
  if (execute.url !== undefined) return placeByUrl(execute.url, targets);
  return { field: 'execute.target', message: `name the target to call (execute.target)${namesHint(targets)}` };
}

function placeByName(name: string, path: string, targets: TargetSet): HttpPlacement | PlacementProblem {
  const target = targets.get(name);
  if (!target) return { field: 'execute.target', message: `"${name}" is not a target in targets.yaml${namesHint(targets)}` };
  if (target.type !== 'http') return { field: 'execute.target', message: `"${name}" is a ${target.type} target; execute.type http needs an http target${namesHint(targets)}` };
  const problem = pathProblem(path);
  if (problem) return { field: 'execute.path', message: problem };
  if (path === '') return { target, url: target.url };
  const query = path.indexOf('?');
  const [pathPart, search] = query === -1 ? [path, ''] : [path.slice(0, query), path.slice(query)];
  const joined = `${target.url.replace(/\/$/, '')}/${pathPart.replace(/^\//, '')}${search}`;
  // Belt and braces: the joined URL, as the HTTP client will parse it, must still lie under the base.
  if (!isUnder(new URL(joined), new URL(target.url))) return { field: 'execute.path', message: `${JSON.stringify(path)} leaves the base URL of target "${name}"` };
  return { target, url: joined };
}

function placeByUrl(raw: string, targets: TargetSet): HttpPlacement | PlacementProblem {
  const refuse = (message: string): PlacementProblem => ({ field: 'execute.url', message });
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse(`${JSON.stringify(raw)} is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return refuse(`the scheme ${url.protocol} is not http or https`);
  if (!/^https?:\/\//i.test(raw)) return refuse('write the URL as http:// or https:// followed by the host');
  if (url.username || url.password) return refuse('the URL carries a user name or password; credentials never travel in a submission, a target adds them');
  const start = raw.indexOf('//') + 2;
  const afterAuthority = raw.slice(start).search(/[/?#\\]/);
  const rest = afterAuthority === -1 ? '' : raw.slice(start + afterAuthority);
  const problem = pathProblem(rest);
  if (problem) return refuse(problem);
  const under = targets
    .all()
    .filter((t): t is HttpTarget => t.type === 'http' && isUnder(url, new URL(t.url)))
    .sort((a, b) => new URL(b.url).pathname.length - new URL(a.url).pathname.length)[0];
  if (!under) return refuse(`${url.origin}${url.pathname} does not lie under the base URL of any http target in targets.yaml (same scheme, host, port and path prefix); name a target with execute.target${namesHint(targets)}`);
  return { target: under, url: raw };
}

/** Why a path (with an optional query) cannot be sent as it is; null when it is a plain path under the base. */
export function pathProblem(path: string): string | null {
  const query = path.indexOf('?');
  const pathPart = query === -1 ? path : path.slice(0, query);
  const search = query === -1 ? '' : path.slice(query + 1);
  if (path.includes('\\')) return 'the path holds a backslash, which servers may read as /';
  if (path.includes('#')) return 'the path holds a fragment (#), which is never sent';
  if (/%(2f|5c)/i.test(path)) return 'the path holds an encoded slash or backslash (%2F, %5C), which servers may decode into another path';
  if (/%(?![0-9A-Fa-f]{2})/.test(path)) return 'the path holds a % that does not start a %XX escape';
  if (!PATH_CHARS.test(pathPart) || !QUERY_CHARS.test(search)) return 'the path holds characters a URL path cannot carry unescaped (spaces, quotes, <>, {} and the like); percent-encode them';
  if (SCHEME_PREFIX.test(pathPart)) return 'the path starts with a scheme; a path has no scheme, host or port of its own';
  if (pathPart.includes('//')) return 'the path holds an empty segment (//), which could name another host';
  for (const segment of pathPart.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return `the path segment "${segment}" holds an escape that is not UTF-8`;
    }
    if (decoded === '.' || decoded === '..') return `the path holds a "${segment}" segment; write the path plainly, without . or .. segments`;
  }
  return null;
}

/** Same scheme, host and port, and the path under the base's on a segment boundary (`/api` covers `/api/x`, not `/apix`). */
export function isUnder(url: URL, base: URL): boolean {
  if (url.protocol !== base.protocol || url.hostname !== base.hostname || url.port !== base.port) return false;
  const prefix = base.pathname;
  if (prefix.endsWith('/')) return url.pathname.startsWith(prefix);
  return url.pathname === prefix || url.pathname.startsWith(`${prefix}/`);
}

/** The target (for CEL's `execute.target`) an http `execute` names or lies under; null when none does. */
export function httpTargetName(execute: HttpWhere, targets: TargetSet): string | null {
  const placed = placeHttp(execute, targets);
  return 'target' in placed ? placed.target.name : (execute.target ?? null);
}

function namesHint(targets: TargetSet): string {
  const names = targets.all().filter((t) => t.type === 'http').map((t) => t.name);
  return names.length === 0 ? '; targets.yaml configures no http target' : `; http targets: ${names.join(', ')}`;
}
