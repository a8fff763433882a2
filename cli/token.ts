import { loadConfig } from '../config';
import { openDatabase } from '../db';
import { createToken, PrincipalsStore, revokeToken } from '../identity';
import { parseArgs, rejectUnknown, UsageError } from './args';
import type { CliIo } from './io';

const USAGE = 'usage: interlock token create <principal-id> [--label L] | interlock token revoke <token-id>';

/** `interlock token create <principal-id>` prints a token once (only its hash is stored); `token revoke <token-id>` ends it. */
export async function tokenCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv);
  const [sub, target, ...extra] = args.positional;
  if (sub !== 'create' && sub !== 'revoke') throw new UsageError(`unknown token command "${sub ?? ''}" (${USAGE})`);
  if (!target || extra.length > 0) throw new UsageError(USAGE);
  rejectUnknown(args, sub === 'create' ? ['label'] : []);
  const config = loadConfig(io.env);
  const principal = sub === 'create' ? new PrincipalsStore(config.principalsFile).current().get(target) : undefined;
  if (sub === 'create' && !principal) throw new UsageError(`no principal "${target}" in ${config.principalsFile}; add it there first`);
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    if (config.migrateOnStart) await database.migrate(); // off when running as the least-privilege role
    if (sub === 'revoke') {
      if (!(await revokeToken(database.db, target))) throw new UsageError(`no live token "${target}" (the id printed by token create, tok_...)`);
      io.err(`token ${target} revoked; requests with it now get 401`);
      return 0;
    }
    const { token, id } = await createToken(database.db, principal!.id, args.flags.get('label')?.[0]);
    io.out(token);
    io.err(`token ${id} for ${principal!.id} (${principal!.kind}, groups: ${principal!.groups.join(', ') || 'none'}); it is shown only now; revoke with \`interlock token revoke ${id}\``);
  } finally {
    await database.close();
  }
  return 0;
}
