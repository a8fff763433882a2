/** Thrown for a command line that cannot be run; the CLI prints the message as its one-line reason. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string[]>;
  /** Everything after `--`. */
  rest: string[];
}

/** `--name value`, `--name=value`, repeated flags, boolean flags listed in `booleans`, and `--` passthrough. */
export function parseArgs(argv: string[], booleans: string[] = []): ParsedArgs {
  const out: ParsedArgs = { positional: [], flags: new Map(), rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      out.rest = argv.slice(i + 1);
      break;
    }
    if (!arg.startsWith('--')) {
      out.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    let value: string;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (booleans.includes(name)) value = 'true';
    else {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      value = argv[++i];
    }
    out.flags.set(name, [...(out.flags.get(name) ?? []), value]);
  }
  return out;
}

export function one(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  if (v && v.length > 1) throw new UsageError(`--${name} given more than once`);
  return v?.[0];
}

export function required(args: ParsedArgs, name: string): string {
  const v = one(args, name);
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

export function rejectUnknown(args: ParsedArgs, known: string[]): void {
  for (const name of args.flags.keys()) if (!known.includes(name)) throw new UsageError(`unknown option --${name} (known: ${known.map((k) => `--${k}`).join(', ')})`);
}
