import { createWriteStream, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { auditKeys, createCheckpoint, EXPORT_FORMATS, exportAuditEvents, publicKeyPem, renderEvidenceReport, verifyTrail, type ExportFormat, type TrailVerification } from '../audit';
import { loadConfig, type Config } from '../config';
import { openDatabase, type Database } from '../db';
import { one, parseArgs, rejectUnknown, UsageError } from './args';
import type { CliIo } from './io';

const USAGE = 'use: audit verify | audit checkpoint | audit public-key | audit export [--from T] [--to T] --format jsonl|csv [--out FILE]';

/** `interlock audit verify | checkpoint | public-key | export`. */
export async function auditCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  const config = loadConfig(io.env);
  switch (sub) {
    case 'verify':
      return withDatabase(config, (database) => verifyCommand(database, config, io));
    case 'checkpoint':
      return withDatabase(config, (database) => checkpointCommand(database, config, io));
    case 'public-key':
      return publicKeyCommand(config, io);
    case 'export':
      return exportCommand(rest, config, io);
    default:
      throw new UsageError(`unknown audit command "${sub ?? ''}" (${USAGE})`);
  }
}

async function withDatabase(config: Config, run: (database: Database) => Promise<number>): Promise<number> {
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    return await run(database);
  } finally {
    await database.close();
  }
}

/** Prints the verification as one JSON object (the API's shape); exits 1 on any problem. */
async function verifyCommand(database: Database, config: Config, io: CliIo): Promise<number> {
  const result = await verify(database, config, io);
  io.out(JSON.stringify(result, null, 2));
  if (!result.ok) io.err(`interlock: audit trail NOT verified: ${result.problem} at seq ${result.firstBad}: ${result.message}`);
  else io.err(`interlock: ${result.message}`);
  return result.ok ? 0 : 1;
}

function verify(database: Database, config: Config, io: CliIo): Promise<TrailVerification> {
  const keys = auditKeys(config);
  io.err(`verify: checkpoints checked with ${keys.verifiers.size ? `${[...keys.verifiers.keys()].join(', ')} (${keys.source})` : 'no public key (set INTERLOCK_AUDIT_PUBLIC_KEY)'}`);
  return verifyTrail(database.db, {
    verifiers: keys.verifiers,
    parallel: config.databaseUrl ? { databaseUrl: config.databaseUrl } : undefined,
    onProgress: everyFewSeconds((n) => io.err(`verify: ${n} events…`)),
  });
}

/** Signs the current head now, whatever the periodic checkpointer last did. */
async function checkpointCommand(database: Database, config: Config, io: CliIo): Promise<number> {
  const { signer } = auditKeys(config);
  if (!signer) throw new UsageError('no signing key: set INTERLOCK_AUDIT_SIGNING_KEY (an Ed25519 PKCS#8 PEM), or run `npm start` once to generate a development key');
  const checkpoint = await createCheckpoint(database.db, signer);
  io.out(JSON.stringify(checkpoint, null, 2));
  io.err(`interlock: checkpoint #${checkpoint!.id} signs seq ${checkpoint!.seq}`);
  return 0;
}

/** The one thing an auditor needs from the operator: give it to them out of band and pin it. */
function publicKeyCommand(config: Config, io: CliIo): number {
  const keys = auditKeys(config);
  const [keyId, key] = [...keys.verifiers.entries()][0] ?? [];
  if (!key) throw new UsageError('no audit key configured: set INTERLOCK_AUDIT_SIGNING_KEY or INTERLOCK_AUDIT_PUBLIC_KEY, or run `npm start` once to generate a development key');
  io.out(publicKeyPem(key).trimEnd());
  io.err(`interlock: key ${keyId}, from ${keys.source}`);
  return 0;
}

async function exportCommand(argv: string[], config: Config, io: CliIo): Promise<number> {
  const args = parseArgs(argv);
  rejectUnknown(args, ['from', 'to', 'format', 'out', 'summary']);
  if (args.positional.length > 0) throw new UsageError(`unexpected "${args.positional[0]}" (${USAGE})`);
  const format = (one(args, 'format') ?? 'jsonl') as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}`);
  const now = new Date();
  const from = one(args, 'from') ? parseTime(one(args, 'from')!, now, 'from') : undefined;
  const to = parseTime(one(args, 'to') ?? 'now', now, 'to');
  if (from && from > to) throw new UsageError(`--from (${from}) is after --to (${to})`);
  const out = one(args, 'out');
  const summaryFile = one(args, 'summary') ?? (out ? `${out}.summary.md` : undefined);

  return withDatabase(config, async (database) => {
    const file = out ? createWriteStream(out) : null;
    const write = async (text: string) => {
      if (!file) return io.out(text.endsWith('\n') ? text.slice(0, -1) : text);
      if (!file.write(text)) await once(file, 'drain');
    };
    const started = Date.now();
    const summary = await exportAuditEvents(database.db, { from, to, format, write, onProgress: everyFewSeconds((n) => io.err(`export: ${n} events…`)) });
    if (file) await new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())));
    io.err(`export: ${summary.events} events in ${((Date.now() - started) / 1000).toFixed(1)} s; verifying the whole trail…`);
    const verification = await verify(database, config, io);
    const report = { generatedAt: new Date().toISOString(), window: { from: from ?? null, to }, format, eventsFile: out ?? null, summary, verification };
    const markdown = renderEvidenceReport(report);
    if (summaryFile) {
      writeFileSync(summaryFile, markdown + '\n');
      writeFileSync(summaryFile.replace(/\.md$/, '') + '.json', JSON.stringify(report, null, 2) + '\n');
      io.err(`export: summary in ${summaryFile} (and .json)`);
    } else io.err(markdown);
    if (!verification.ok) io.err(`interlock: the trail failed verification: ${verification.problem} at seq ${verification.firstBad}: ${verification.message}`);
    return verification.ok ? 0 : 1;
  });
}

/** Progress for a person: a line every few seconds, not one per page. */
function everyFewSeconds(report: (n: number) => void, ms = 2000): (n: number) => void {
  let last = Date.now();
  return (n) => {
    if (Date.now() - last < ms) return;
    last = Date.now();
    report(n);
  };
}

/** An ISO time, or a time before now: "7d", "12h", "30m", "90s", "2w", or "now". */
export function parseTime(text: string, now: Date, flag: string): string {
  if (text === 'now') return now.toISOString();
  const relative = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/.exec(text.trim());
  if (relative) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[relative[2] as 's' | 'm' | 'h' | 'd' | 'w'];
    return new Date(now.getTime() - Number(relative[1]) * unit).toISOString();
  }
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new UsageError(`--${flag} "${text}" is neither an ISO time (2026-11-01T00:00:00Z) nor a duration before now (7d, 12h, 30m)`);
  return new Date(at).toISOString();
}
