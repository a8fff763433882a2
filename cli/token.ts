import { loadConfig } from '../config';
import { openDatabase } from '../db';
import { createToken, PrincipalsStore } from '../identity';
import { parseArgs, rejectUnknown, UsageError } from './args';
import type { CliIo } from './io';

/** `interlock token create <principal-id> [--label L]`: prints the token once; only its hash is stored. */
export async function tokenCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, principalId, ...extra] = argv.filter((a) => !a.startsWith('--'));
  if (sub !== 'create') throw new UsageError(`unknown token command "${sub ?? ''}" (use: token create <principal-id>)`);
  if (!principalId || extra.length > 0) throw new UsageError('usage: interlock token create <principal-id> [--label L]');
  const args = parseArgs(argv);
  rejectUnknown(args, ['label']);
  const config = loadConfig(io.env);
  const principal = new PrincipalsStore(config.principalsFile).current().get(principalId);
  if (!principal) throw new UsageError(`no principal "${principalId}" in ${config.principalsFile}; add it there first`);
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    if (config.migrateOnStart) await database.migrate(); // off when running as the least-privilege role
    const { token, id } = await createToken(database.db, principalId, args.flags.get('label')?.[0]);
    io.out(token);
    io.err(`token ${id} for ${principalId} (${principal.kind}, groups: ${principal.groups.join(', ') || 'none'}); it is shown only now`);
  } finally {
    await database.close();
  }
  return 0;
}
