import { existsSync } from 'node:fs';
import path from 'node:path';
import { runStdioGateway } from '../mcp';
import { one, parseArgs, rejectUnknown, UsageError } from './args';
import type { CliIo } from './io';

export const MCP_USAGE = `usage: interlock mcp [--config mcp.yaml]
  The MCP gateway over stdio: an agent host launches it as an MCP server. It lists the tools of the upstream
  servers in mcp.yaml (named <server>__<tool> when there are several) and passes every tools/call through the
  policy as the token's principal: allowed calls run at once, denied ones answer a tool error naming the rule,
  and calls that need approval are held (up to \`hold\`) and then answer with the action id to call again with.
environment:
  INTERLOCK_URL            the Interlock API (default http://127.0.0.1:3000)
  INTERLOCK_TOKEN          the agent's token (\`interlock token create svc:my-agent\`); required
  INTERLOCK_ON_BEHALF_OF   the person the agent acts for (optional)
  INTERLOCK_MCP            mcp.yaml when --config is not given (default ./mcp.yaml)
  upstream credentials     the \${env:NAME} references in mcp.yaml, resolved here, never sent to Interlock`;

/** `interlock mcp`: serves MCP on stdin/stdout until the host closes it. Diagnostics go to stderr only. */
export async function mcpCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, ['help']);
  if (args.flags.has('help')) {
    io.err(MCP_USAGE);
    return 0;
  }
  rejectUnknown(args, ['config']);
  if (args.positional.length > 0) throw new UsageError(`unexpected "${args.positional[0]}"; ${MCP_USAGE.split('\n')[0]}`);
  const token = io.env.INTERLOCK_TOKEN;
  if (!token) throw new UsageError('INTERLOCK_TOKEN is not set: the gateway calls Interlock as the agent (create one with `npx interlock token create <principal-id>`)');
  const configFile = path.resolve(one(args, 'config') ?? (io.env.INTERLOCK_MCP || 'mcp.yaml'));
  // Without its file the gateway would front no server at all: say so instead of serving nothing.
  if (!existsSync(configFile)) throw new Error(`${configFile} does not exist: the gateway needs the upstream MCP servers it fronts (--config, or INTERLOCK_MCP)`);
  await runStdioGateway({
    url: (io.env.INTERLOCK_URL || 'http://127.0.0.1:3000').replace(/\/$/, ''),
    token,
    onBehalfOf: io.env.INTERLOCK_ON_BEHALF_OF || null,
    configFile,
    warn: (m) => io.err(`interlock mcp: ${m}`),
  });
  return 0;
}
