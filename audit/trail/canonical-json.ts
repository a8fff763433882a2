/**
 * RFC 8785 JSON Canonicalization Scheme (JCS) for JSON values: object members sorted by the UTF-16 code
 * units of their names, no whitespace, strings and numbers as ECMAScript's JSON.stringify writes them.
 * Byte-identical to the `canonicalize` package on every value that package accepts (a unit test compares
 * them on thousands of generated values); written here because the audit writer and verifier call it per
 * event and the package's generic checks cost ten times as much.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      if (!isWellFormed(value)) throw new TypeError('a lone surrogate cannot be canonicalised (RFC 8785 3.2.2.2)');
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return canonicalArray(value);
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonicalJson((value as { toJSON(): unknown }).toJSON());
      return canonicalObject(value as Record<string, unknown>);
    default:
      throw new TypeError(`a ${typeof value} is not a JSON value`);
  }
}

function canonicalArray(items: unknown[]): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (i > 0) out += ',';
    out += item === undefined || typeof item === 'function' || typeof item === 'symbol' ? 'null' : canonicalJson(item);
  }
  return out + ']';
}

function canonicalObject(object: Record<string, unknown>): string {
  // Array.prototype.sort compares strings by UTF-16 code units, which is exactly JCS's member order.
  const keys = Object.keys(object).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = object[key];
    if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
    if (!first) out += ',';
    first = false;
    out += canonicalJson(key) + ':' + canonicalJson(member);
  }
  return out + '}';
}

const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/**
 * The JSON value a record will hold: what JSON.stringify keeps (no undefined members, Dates as strings,
 * non-finite numbers as null), with text Postgres cannot store (lone surrogates) replaced by U+FFFD. The
 * audit writer stores and hashes this, so what is read back always hashes to what was written.
 */
export function toJsonValue(value: Record<string, unknown>): Record<string, unknown> {
  const text = JSON.stringify(value) ?? '{}';
  // JSON.stringify escapes only lone surrogates as \udXXX; a false alarm (an escaped backslash) just costs a walk.
  if (!/\\ud[89a-f]/i.test(text)) return JSON.parse(text);
  return JSON.parse(text, function (this: Record<string, unknown>, key, v) {
    const fixed = typeof v === 'string' ? toWellFormed(v) : v;
    const fixedKey = toWellFormed(key);
    if (fixedKey === key) return fixed;
    this[fixedKey] = fixed;
    return undefined;
  });
}

const toWellFormed = (s: string): string => (s as unknown as { toWellFormed(): string }).toWellFormed();
