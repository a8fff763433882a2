import { verifyChain } from '../audit';
import { loadConfig } from '../config';
import { openDatabase } from '../db';
import { UsageError } from './args';
import type { CliIo } from './io';

/** `interlock audit verify | export`. */
export async function auditCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub] = argv;
  if (sub !== 'verify') throw new UsageError(`unknown audit command "${sub ?? ''}" (use: audit verify, audit export)`);
  const config = loadConfig(io.env);
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    const result = await verifyChain(database.db, { onProgress: (n) => io.err(`verified ${n} events…`) });
    io.out(JSON.stringify({ ok: result.ok, count: result.count, head: result.head, firstBad: result.firstBad, problem: result.problem, message: result.message }));
    return result.ok ? 0 : 1;
  } finally {
    await database.close();
  }
}
