// The MCP gateway room: agents' tool calls pass Interlock's policy on their way to upstream MCP servers (mcp.yaml).
// One gateway (gateway.ts) over an Interlock port: in process at `/mcp` on the API, over REST in `interlock mcp`.
export { MCP_DEFAULTS, McpConfigError, NO_MCP, parseMcpConfig, type HttpUpstream, type McpConfig, type StdioUpstream, type Upstream } from './config';
export { McpConfigStore, type McpConfigSource } from './store';
export { UpstreamPool } from './upstreams';
export { callSubmission, createGatewayServer, type GatewaySession } from './gateway';
export { repeatKey } from './held-call';
export type { CallOutcome, InterlockPort, Judgement } from './port';
export { clientPort } from './client-port';
export { corePort, type StartAdmission } from './core-port';
export { judgeCall, recordCall } from './call-record';
export { runStdioGateway, type StdioGatewayOptions } from './stdio';
