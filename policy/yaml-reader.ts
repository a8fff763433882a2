import { isMap, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';
import { closest, type ProblemList } from './problems';

const join = (path: string, key: string | number) => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);
const describe = (node: unknown) => (isScalar(node) ? (node.value === null ? 'empty' : typeof node.value) : isSeq(node) ? 'a list' : isMap(node) ? 'a mapping' : 'empty');

/**
 * Typed, strict access to one YAML mapping: unknown keys are reported on creation, every getter reports a
 * wrong type at the value's own line and returns undefined, so callers only decide what is required.
 */
export class MapReader {
  private readonly values = new Map<string, Node | null>();

  private constructor(readonly problems: ProblemList, readonly node: YAMLMap, readonly path: string, readonly ruleId: string | null, allowed: readonly string[]) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : null;
      if (key === null || !allowed.includes(key)) {
        const hint = key === null ? undefined : closest(key, allowed);
        this.report(pair.key, join(path, key ?? '?'), `unknown key "${key}"; ${hint ? `did you mean "${hint}"? ` : ''}allowed here: ${allowed.join(', ')}`);
        continue;
      }
      this.values.set(key, (pair.value as Node | null) ?? null);
    }
  }

  /** A reader for `node`, or undefined (and a problem) when it is not a mapping. */
  static of(problems: ProblemList, node: unknown, path: string, ruleId: string | null, allowed: readonly string[]): MapReader | undefined {
    if (isMap(node)) return new MapReader(problems, node, path, ruleId, allowed);
    problems.add(node, path, `must be a mapping, got ${describe(node)}`, ruleId);
    return undefined;
  }

  report(node: unknown, path: string, message: string): void {
    this.problems.add(node ?? this.node, path, message, this.ruleId);
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  raw(key: string): Node | null | undefined {
    return this.values.get(key);
  }

  lineOf(key: string): number | null {
    return this.problems.lineOf(this.values.get(key) ?? this.node);
  }

  pathOf(key: string): string {
    return join(this.path, key);
  }

  require(key: string, what: string): boolean {
    if (this.values.has(key)) return true;
    this.report(this.node, this.pathOf(key), `missing required key "${key}" (${what})`);
    return false;
  }

  private scalar<T>(key: string, type: string, ok: (v: unknown) => v is T): T | undefined {
    if (!this.values.has(key)) return undefined;
    const node = this.values.get(key);
    if (isScalar(node) && ok(node.value)) return node.value;
    this.report(node, this.pathOf(key), `must be ${type}, got ${describe(node)}`);
    return undefined;
  }

  string(key: string): string | undefined {
    return this.scalar(key, 'a string', (v): v is string => typeof v === 'string' && v.length > 0);
  }

  bool(key: string): boolean | undefined {
    return this.scalar(key, 'true or false', (v): v is boolean => typeof v === 'boolean');
  }

  integer(key: string, min: number): number | undefined {
    const n = this.scalar(key, `an integer >= ${min}`, (v): v is number => typeof v === 'number' && Number.isInteger(v));
    if (n === undefined || n >= min) return n;
    this.report(this.values.get(key), this.pathOf(key), `must be an integer >= ${min}, got ${n}`);
    return undefined;
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T | undefined {
    const v = this.scalar(key, `one of ${values.join(', ')}`, (x): x is string => typeof x === 'string');
    if (v === undefined || (values as readonly string[]).includes(v)) return v as T | undefined;
    this.report(this.values.get(key), this.pathOf(key), `must be one of ${values.join(', ')}, got "${v}"`);
    return undefined;
  }

  /** Seconds, from `30s`, `10m`, `1.5h`, `2d`, `1h30m`. */
  duration(key: string): number | undefined {
    const text = this.scalar(key, 'a duration like 30s, 10m, 1h or 2d', (v): v is string => typeof v === 'string');
    if (text === undefined) return undefined;
    const seconds = parseDuration(text);
    if (seconds !== null && seconds > 0) return seconds;
    this.report(this.values.get(key), this.pathOf(key), `"${text}" is not a duration; write a positive number with a unit s, m, h or d, e.g. 30s, 10m, 1h, 2d, 1h30m`);
    return undefined;
  }

  strings(key: string): string[] | undefined {
    const node = this.values.get(key);
    if (!this.values.has(key)) return undefined;
    if (!isSeq(node)) {
      this.report(node, this.pathOf(key), `must be a list of strings, got ${describe(node)}`);
      return undefined;
    }
    const out: string[] = [];
    node.items.forEach((item, i) => {
      if (isScalar(item) && typeof item.value === 'string' && item.value.length > 0) out.push(item.value);
      else this.report(item, join(this.pathOf(key), i), `must be a non-empty string, got ${describe(item)} (quote it if it looks like a number)`);
    });
    return out;
  }

  /** A mapping of any names to non-empty strings (e.g. `notify`); bad entries are reported and left out. */
  stringMap(key: string): Record<string, string> | undefined {
    if (!this.values.has(key)) return undefined;
    const node = this.values.get(key);
    if (!isMap(node)) {
      this.report(node, this.pathOf(key), `must be a mapping of names to strings, got ${describe(node)}`);
      return undefined;
    }
    const out: Record<string, string> = {};
    for (const pair of node.items) {
      const name = isScalar(pair.key) && typeof pair.key.value === 'string' && pair.key.value.length > 0 ? pair.key.value : null;
      const value = pair.value as Node | null;
      // `__proto__` would set the record's prototype instead of an entry.
      if (name === null || name === '__proto__') this.report(pair.key, join(this.pathOf(key), name ?? '?'), 'must be a name (a non-empty string other than __proto__)');
      else if (isScalar(value) && typeof value.value === 'string' && value.value.length > 0) out[name] = value.value;
      else this.report(value, join(this.pathOf(key), name), `must be a non-empty string, got ${describe(value)}`);
    }
    return out;
  }

  map(key: string, allowed: readonly string[]): MapReader | undefined {
    if (!this.values.has(key)) return undefined;
    return MapReader.of(this.problems, this.values.get(key), this.pathOf(key), this.ruleId, allowed);
  }

  /** The items of a list value, or undefined (and a problem) when it is not a list. */
  list(key: string): Node[] | undefined {
    if (!this.values.has(key)) return undefined;
    const node = this.values.get(key);
    if (isSeq(node)) return node.items as Node[];
    this.report(node, this.pathOf(key), `must be a list, got ${describe(node)}`);
    return undefined;
  }
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
/** A number and a unit, repeated with the units from largest to smallest: `30s`, `1.5h`, `1h30m`, `2d12h`. */
const DURATION = /^(?:(\d+(?:\.\d+)?)d)?(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/;

/** Parses a policy duration (`30s`, `10m`, `1.5h`, `2d`, `1h30m`) into seconds; null when the text is not one. */
export function parseDuration(text: string): number | null {
  const t = text.trim();
  const m = t === '' ? null : DURATION.exec(t);
  if (!m) return null;
  return ['d', 'h', 'm', 's'].reduce((sum, unit, i) => sum + (m[i + 1] === undefined ? 0 : Number(m[i + 1]) * UNIT_SECONDS[unit]), 0);
}

/** Renders seconds back in the largest whole unit, for messages (`1800` -> `30m`). */
export function formatDuration(seconds: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    const n = seconds / UNIT_SECONDS[unit];
    if (Number.isInteger(n) && n > 0) return `${n}${unit}`;
  }
  return `${seconds}s`;
}
