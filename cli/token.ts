import { AuditWriter } from '../audit';
import { loadConfig } from '../config';
import { openDatabase } from '../db';
import { createToken, listTokens, PrincipalsStore, revokeToken, TokenExpiryError, tokenExpiry } from '../identity';
import { parseArgs, rejectUnknown, UsageError } from './args';
import type { CliIo } from './io';

const USAGE = 'usage: interlock token list | interlock token create <principal-id> [--expires 30d] [--label L] | interlock token revoke <token-id>';

/**
 * `interlock token create <principal-id>` prints a token once (only its hash is stored); `token list` shows every
 * token without its secret; `token revoke <token-id>` ends one at once. Creations and revocations are audited.
 */
export async function tokenCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv);
  const [sub, target, ...extra] = args.positional;
  if (sub !== 'create' && sub !== 'revoke' && sub !== 'list') throw new UsageError(`unknown token command "${sub ?? ''}" (${USAGE})`);
  if ((sub === 'list') !== (target === undefined) || extra.length > 0) throw new UsageError(USAGE);
  rejectUnknown(args, sub === 'create' ? ['label', 'expires'] : []);
  const config = loadConfig(io.env);
  const principal = sub === 'create' ? new PrincipalsStore(config.principalsFile).current().get(target) : undefined;
  if (sub === 'create' && !principal) throw new UsageError(`no principal "${target}" in ${config.principalsFile}; add it there first`);
  const expires = args.flags.get('expires')?.[0];
  let expiresAt: Date | null = null;
  try {
    if (expires !== undefined) expiresAt = tokenExpiry(expires);
  } catch (err) {
    if (err instanceof TokenExpiryError) throw new UsageError(`--${err.message}`);
    throw err;
  }
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  const audit = new AuditWriter(database.db);
  try {
    if (config.migrateOnStart) await database.migrate(); // off when running as the least-privilege role
    if (sub === 'list') {
      io.out(['id', 'principal', 'created', 'last used', 'expires', 'revoked', 'label'].join('\t'));
      for (const t of await listTokens(database.db)) io.out([t.id, t.principal, t.createdAt, t.lastUsedAt ?? '-', t.expiresAt ?? 'never', t.revokedAt ?? '-', t.label ?? ''].join('\t'));
      return 0;
    }
    if (sub === 'revoke') {
      if (!(await revokeToken(database.db, target, { audit, revokedBy: 'cli' }))) throw new UsageError(`no live token "${target}" (the id printed by token create, tok_...; see token list)`);
      io.err(`token ${target} revoked; requests with it now get 401`);
      return 0;
    }
    const { token, id } = await createToken(database.db, principal!.id, { label: args.flags.get('label')?.[0], expiresAt, createdBy: 'cli', audit });
    io.out(token);
    const until = expiresAt ? `expires ${expiresAt.toISOString()}` : 'does not expire';
    io.err(`token ${id} for ${principal!.id} (${principal!.kind}, groups: ${principal!.groups.join(', ') || 'none'}; ${until}); it is shown only now; revoke with \`interlock token revoke ${id}\``);
  } finally {
    await audit.idle();
    await database.close();
  }
  return 0;
}
