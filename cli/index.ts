// The command line (`npx interlock`): one file per command, run against the API (the database for tokens, audit and policy replay).
import { ApiCallError } from './api-client';
import { UsageError } from './args';
import { processIo, type CliIo } from './io';

const USAGE = `usage: interlock <command>
  token create <principal-id> [--expires 30d] print a new API token (only its hash is stored)
  token list                              every token: id, principal, created, last used, expiry
  token revoke <token-id>                 end a token (its id is printed when it is created)
  submit --action A --resource R [--env E] [--param k=v ...] [--justification J] [--on-behalf-of P] [--wait]
  exec --action A --resource R [...] -- <command...>   run the command only after approval (redeems its grant first)
  grant verify <token> [--issuer URL] [--param k=v ...] check a grant offline against the server's published keys
  decide <action-id> approve|deny [--comment C]         vote as the token's principal
  get <action-id>                                       the Action as JSON
  policy check|test|replay [file] [--since 7d]
  audit verify | audit export --from T --to T --format jsonl|csv [--out FILE]
  audit checkpoint | audit public-key     sign the chain head now; print the key auditors verify with
  mcp [--config mcp.yaml]                 the MCP gateway over stdio (INTERLOCK_ON_BEHALF_OF: the person the agent acts for); \`interlock mcp --help\`
  temporal setup                          register the search attributes on the Temporal service at TEMPORAL_ADDRESS
  api | worker [--metrics-port N]         run one role until SIGINT/SIGTERM (needs TEMPORAL_ADDRESS and DATABASE_URL); the worker serves /metrics on N
environment: INTERLOCK_URL (default http://127.0.0.1:3000), INTERLOCK_TOKEN`;

/** Runs one CLI command (its module loaded only then: a worker does not load the MCP gateway); returns the exit code. Every failure is one line on stderr. */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'token':
        return await (await import('./token')).tokenCommand(rest, io);
      case 'submit':
        return await (await import('./submit')).submitCommand(rest, io);
      case 'exec':
        return await (await import('./submit')).execCommand(rest, io);
      case 'decide':
        return await (await import('./decide')).decideCommand(rest, io);
      case 'grant':
        return await (await import('./grant')).grantCommand(rest, io);
      case 'get':
        return await (await import('./decide')).getCommand(rest, io);
      case 'policy':
        return await (await import('./policy')).policyCommand(rest, io);
      case 'audit':
        return await (await import('./audit')).auditCommand(rest, io);
      case 'mcp':
        return await (await import('./mcp')).mcpCommand(rest, io);
      case 'temporal':
        return await (await import('./temporal')).temporalCommand(rest, io);
      case 'api':
      case 'worker':
        return await (await import('./processes')).roleCommand(command, rest, io);
      case undefined:
      case 'help':
      case '--help':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"; run \`interlock help\``);
    }
  } catch (err) {
    io.err(`interlock: ${err instanceof UsageError || err instanceof ApiCallError ? err.message : failureText(err)}`);
    return err instanceof UsageError ? 2 : 1;
  }
}

/**
 * One line saying why a command failed. drizzle wraps every driver error as `Failed query: <sql>`, which names the
 * statement but not the reason; the database's own reason (its cause) is what a person can act on, with a hint for
 * the usual ones: nothing listening, no such database, a database never migrated. Neither names DATABASE_URL's
 * password: the driver's messages carry host, port, database and user at most.
 */
export function failureText(err: unknown): string {
  const e = err as Error & { cause?: unknown };
  const wrapped = typeof e?.message === 'string' && e.message.startsWith('Failed query:') && e.cause !== undefined;
  const reason = wrapped ? e.cause : err;
  const text = reasonText(reason);
  const hint = databaseHint(reason);
  return wrapped ? `database: ${text}${hint}` : `${text}${hint}`;
}

function reasonText(err: unknown): string {
  // A connection refused on every address a host name resolved to (::1 and 127.0.0.1) comes as an AggregateError, message empty.
  if (err instanceof AggregateError && err.errors.length > 0) return [...new Set(err.errors.map(reasonText))].join('; ');
  const message = (err as Error | undefined)?.message;
  return message ? message.split('\n')[0] : String(err);
}

function databaseHint(err: unknown): string {
  const first = (err instanceof AggregateError ? err.errors[0] : err) as { code?: string } | undefined;
  switch (first?.code) {
    case '42P01': // undefined_table
      return ' (the database has no Interlock tables: start Interlock against it once, `npm start` or `interlock api`, which migrate it unless INTERLOCK_DB_MIGRATE=false; or check DATABASE_URL)';
    case '3D000': // invalid_catalog_name
      return ' (check the database name in DATABASE_URL, or create it)';
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'ETIMEDOUT':
      return ' (is Postgres running where DATABASE_URL points?)';
    default:
      return '';
  }
}

/** Exported for its tests; every other caller goes through runCli. */
export async function policyCommand(argv: string[], io: CliIo): Promise<number> {
  return (await import('./policy')).policyCommand(argv, io);
}
