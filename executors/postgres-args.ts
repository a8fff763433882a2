import type { PgParamType } from '../targets/types';

const INT4 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
const INT8 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
const NUMERIC = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_TIMESTAMPTZ = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** What each type accepts, for the person whose argument was refused. */
const EXPECTED: Record<PgParamType, string> = {
  text: 'a string',
  int: `a whole number from ${INT4.min} to ${INT4.max}`,
  bigint: 'a whole number (a string of digits beyond 2^53) within the 64-bit range',
  numeric: 'a number, or a decimal string such as "12.50"',
  bool: 'true or false',
  uuid: 'a UUID string such as "6f1c2d1e-8a2b-4c3d-9e4f-0a1b2c3d4e5f"',
  timestamptz: 'an ISO 8601 timestamp with a zone, such as "2026-11-30T12:00:00Z"',
  jsonb: 'any JSON value',
};

export interface ArgProblem {
  field: string;
  message: string;
}

/** Each argument checked against the statement's declared parameter types: count first, then every value. */
export function argProblems(args: unknown[], params: PgParamType[], statement: string): ArgProblem[] {
  if (args.length !== params.length) {
    const types = params.length ? `(${params.join(', ')})` : '(none)';
    return [{ field: 'execute.args', message: `statement "${statement}" takes ${params.length} argument${params.length === 1 ? '' : 's'} ${types}, got ${args.length}` }];
  }
  return params.flatMap((type, i) =>
    accepts(type, args[i]) ? [] : [{ field: `execute.args[${i}]`, message: `$${i + 1} of "${statement}" is ${type}: must be ${EXPECTED[type]}, got ${shown(args[i])}` }],
  );
}

function accepts(type: PgParamType, v: unknown): boolean {
  switch (type) {
    case 'text':
      return typeof v === 'string';
    case 'int':
      return Number.isInteger(v) && (v as number) >= INT4.min && (v as number) <= INT4.max;
    case 'bigint':
      if (Number.isSafeInteger(v)) return true;
      return typeof v === 'string' && /^-?\d{1,19}$/.test(v) && BigInt(v) >= INT8.min && BigInt(v) <= INT8.max;
    case 'numeric':
      return (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= 1000 && NUMERIC.test(v));
    case 'bool':
      return typeof v === 'boolean';
    case 'uuid':
      return typeof v === 'string' && UUID.test(v);
    case 'timestamptz':
      return typeof v === 'string' && isTimestamp(v);
    case 'jsonb':
      return v !== undefined;
  }
}

/** A real instant: the calendar date exists (no 30 February) and the clock is in range. */
function isTimestamp(v: string): boolean {
  const m = ISO_TIMESTAMPTZ.exec(v);
  if (!m) return false;
  const [y, mo, d, h, mi] = [m[1], m[2], m[3], m[4], m[5]].map(Number);
  const day = new Date(Date.UTC(y, mo - 1, d));
  return day.getUTCMonth() === mo - 1 && day.getUTCDate() === d && h < 24 && mi < 60 && !Number.isNaN(Date.parse(v));
}

/** The values handed to `pg` as bound parameters, one per `$n`: never spliced into the SQL text. */
export function bindArgs(args: unknown[], params: PgParamType[]): unknown[] {
  return params.map((type, i) => {
    const v = args[i];
    if (type === 'jsonb') return JSON.stringify(v); // pg would turn a JS array into a Postgres array
    if (type === 'bigint' || type === 'numeric') return String(v);
    return v;
  });
}

function shown(v: unknown): string {
  const text = v === undefined ? 'nothing' : JSON.stringify(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
