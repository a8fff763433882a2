// Configuration: the environment read and checked once at start-up into one typed Config (a bad value stops the process).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AllowListEntryError, parseAllowList, type PrivateAllowList } from '../network';

export { ensureDevKeyFile } from './dev-key-file';

/** Thrown at start-up when an environment variable has a value that cannot work. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
  }
}

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  temporalAddress: string | undefined;
  temporalNamespace: string;
  taskQueue: string;
  temporalCliPath: string | undefined;
  /** How to reach a Temporal service that needs it (Temporal Cloud): an API key and/or mTLS, by Temporal's own variable names. */
  temporalAuth: TemporalAuth;
  temporalUiUrl: string;
  policyFile: string;
  principalsFile: string;
  /** targets.yaml: where approved actions may run, with references to their credentials (INTERLOCK_TARGETS). */
  targetsFile: string;
  /** mcp.yaml: the upstream MCP servers the gateway fronts (INTERLOCK_MCP). */
  mcpFile: string;
  publicUrl: string;
  webhookSecret: string | undefined;
  /** `host:port` pairs the http executor may reach although private or loopback (INTERLOCK_HTTP_ALLOW_PRIVATE). */
  httpAllowPrivate: PrivateAllowList;
  slack: { botToken: string; signingSecret: string; appToken: string | undefined; apiUrl: string | undefined; defaultChannel: string | undefined } | null;
  /** Microsoft Teams bot (TEAMS_*): on when TEAMS_APP_ID and TEAMS_APP_PASSWORD are set. */
  teams: TeamsConfig | null;
  auditSigningKey: string | undefined;
  /** PEM Ed25519 key(s) grants are signed with, the first signing (INTERLOCK_GRANT_SIGNING_KEY); unset: a key under the data dir. */
  grantSigningKey: string | undefined;
  /** Verifies checkpoints; when unset, the public half of the signing key is used. */
  auditPublicKey: string | undefined;
  /** How often the head is signed when it moved; 0 turns the periodic checkpoint off. */
  auditCheckpointSeconds: number;
  /** Run migrations at start-up; off when the process runs as the least-privileged role (docs/audit.md). */
  migrateOnStart: boolean;
  logLevel: string;
  /** Requests a minute per principal before 429. */
  rateLimitPerMinute: number;
  /** Unauthenticated requests (no token, a bad token, open routes but probes and metrics) a minute per client address. */
  rateLimitAnonPerMinute: number;
  /** Workflow starts (submissions) a minute per principal. */
  startLimitPerMinute: number;
  /** Submissions one principal may have in flight at once. */
  submitConcurrency: number;
  /** Workflows a worker keeps in memory (INTERLOCK_WORKER_CACHE); one evicted replays from its history on its next event. */
  workerCacheSize: number;
  /** Least seconds between two fetches of an IdP's keys forced by an unknown key id (INTERLOCK_JWKS_COOLDOWN); a rotation is followed after it. */
  jwksCooldownSeconds: number;
  /** Signs console session cookies (INTERLOCK_SESSION_SECRET); unset: one generated under the data dir. */
  sessionSecret: string | undefined;
  /** The console's client secret at the people issuer (INTERLOCK_OIDC_CLIENT_SECRET). */
  oidcClientSecret: string | undefined;
}

export interface TeamsConfig {
  appId: string;
  appPassword: string;
  /** Single-tenant bot when set; unset: multi-tenant. */
  tenantId: string | undefined;
  defaultConversation: string | undefined;
  /** Overrides: the Bot Connector base for outgoing calls, the OpenID metadata incoming tokens are checked against, the bot's OAuth token endpoint. */
  serviceUrl: string | undefined;
  openIdMetadataUrl: string | undefined;
  tokenUrl: string | undefined;
}

function httpUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `"${raw}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(name, `"${raw}" must be an http(s) URL`);
  return raw.replace(/\/+$/, '');
}

function teamsConfig(env: NodeJS.ProcessEnv): TeamsConfig | null {
  const appId = env.TEAMS_APP_ID || undefined;
  const appPassword = env.TEAMS_APP_PASSWORD || undefined;
  if (!appId && !appPassword) return null;
  if (!appId) throw new ConfigError('TEAMS_APP_ID', 'is required with TEAMS_APP_PASSWORD (the Azure Bot\'s Microsoft App ID)');
  if (!appPassword) throw new ConfigError('TEAMS_APP_PASSWORD', 'is required with TEAMS_APP_ID (a client secret of the bot\'s app registration)');
  const openIdMetadataUrl = httpUrl(env, 'TEAMS_OPENID_METADATA_URL');
  // The SDK finds the signing keys beside the metadata document, as Bot Framework publishes them.
  if (openIdMetadataUrl && !openIdMetadataUrl.endsWith('/openidconfiguration')) throw new ConfigError('TEAMS_OPENID_METADATA_URL', `"${openIdMetadataUrl}" must end in /openidconfiguration (the keys are read from .../keys beside it)`);
  return {
    appId,
    appPassword,
    tenantId: env.TEAMS_TENANT_ID || undefined,
    defaultConversation: env.TEAMS_DEFAULT_CONVERSATION || undefined,
    serviceUrl: httpUrl(env, 'TEAMS_SERVICE_URL'),
    openIdMetadataUrl,
    tokenUrl: httpUrl(env, 'TEAMS_TOKEN_URL'),
  };
}

export interface TemporalAuth {
  /** TEMPORAL_API_KEY: sent as a bearer token; implies TLS. */
  apiKey: string | undefined;
  /** TEMPORAL_TLS=true, or implied by an API key or a client certificate. */
  tls: boolean;
  /** TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH: mTLS, both or neither. */
  clientCertPath: string | undefined;
  clientKeyPath: string | undefined;
  /** TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME: a private CA, an SNI override. */
  serverCaCertPath: string | undefined;
  serverName: string | undefined;
}

function temporalAuth(env: NodeJS.ProcessEnv): TemporalAuth {
  const clientCertPath = env.TEMPORAL_TLS_CLIENT_CERT_PATH || undefined;
  const clientKeyPath = env.TEMPORAL_TLS_CLIENT_KEY_PATH || undefined;
  if (Boolean(clientCertPath) !== Boolean(clientKeyPath)) throw new ConfigError(clientCertPath ? 'TEMPORAL_TLS_CLIENT_KEY_PATH' : 'TEMPORAL_TLS_CLIENT_CERT_PATH', 'mTLS needs both TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH');
  const apiKey = env.TEMPORAL_API_KEY || undefined;
  return { apiKey, tls: flag(env, 'TEMPORAL_TLS', Boolean(apiKey || clientCertPath)), clientCertPath, clientKeyPath, serverCaCertPath: env.TEMPORAL_TLS_SERVER_CA_CERT_PATH || undefined, serverName: env.TEMPORAL_TLS_SERVER_NAME || undefined };
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(name, `"${raw}" is not a port number (0-65535)`);
  return n;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(name, `"${raw}" is not a positive whole number`);
  return n;
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(name, `"${raw}" is not a number of seconds (0 or more)`);
  return n;
}

function allowList(env: NodeJS.ProcessEnv, name: string): PrivateAllowList {
  try {
    return parseAllowList(env[name]);
  } catch (err) {
    if (err instanceof AllowListEntryError) throw new ConfigError(name, err.message);
    throw err;
  }
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `"${env[name]}" is not true or false`);
}

/** Reads and checks the environment once; everything else receives the resulting object. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const host = env.HOST || '127.0.0.1';
  const listenPort = port(env, 'PORT', 3000);
  const temporalAddress = env.TEMPORAL_ADDRESS || undefined;
  if (temporalAddress && !/^[^\s:]+:\d+$/.test(temporalAddress)) throw new ConfigError('TEMPORAL_ADDRESS', `"${temporalAddress}" must look like host:port`);
  const namespace = env.TEMPORAL_NAMESPACE || 'default';
  const uiBase = env.TEMPORAL_UI_URL || (temporalAddress ? `http://${temporalAddress.split(':')[0]}:8233` : 'http://127.0.0.1:8233');
  const botToken = env.SLACK_BOT_TOKEN || undefined;
  const signingSecret = env.SLACK_SIGNING_SECRET || undefined;
  if (botToken && !signingSecret && !env.SLACK_APP_TOKEN) throw new ConfigError('SLACK_SIGNING_SECRET', 'is required with SLACK_BOT_TOKEN in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)');
  if (env.DATABASE_URL && !/^postgres(ql)?:\/\//.test(env.DATABASE_URL)) throw new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// URL');
  const displayHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    host,
    port: listenPort,
    dataDir: path.resolve(env.INTERLOCK_DATA_DIR || '.data'),
    databaseUrl: env.DATABASE_URL || undefined,
    temporalAddress,
    temporalNamespace: namespace,
    taskQueue: env.TEMPORAL_TASK_QUEUE || 'interlock',
    temporalCliPath: env.TEMPORAL_CLI_PATH || undefined,
    temporalAuth: temporalAuth(env),
    temporalUiUrl: uiBase.replace(/\/$/, ''),
    policyFile: path.resolve(env.INTERLOCK_POLICY || 'policy.yaml'),
    principalsFile: path.resolve(env.INTERLOCK_PRINCIPALS || 'principals.yaml'),
    targetsFile: path.resolve(env.INTERLOCK_TARGETS || 'targets.yaml'),
    mcpFile: path.resolve(env.INTERLOCK_MCP || 'mcp.yaml'),
    publicUrl: (env.INTERLOCK_PUBLIC_URL || `http://${displayHost}:${listenPort}`).replace(/\/$/, ''),
    webhookSecret: env.INTERLOCK_WEBHOOK_SECRET || undefined,
    httpAllowPrivate: allowList(env, 'INTERLOCK_HTTP_ALLOW_PRIVATE'),
    slack: botToken ? { botToken, signingSecret: signingSecret ?? '', appToken: env.SLACK_APP_TOKEN || undefined, apiUrl: env.SLACK_API_URL || undefined, defaultChannel: env.SLACK_DEFAULT_CHANNEL || undefined } : null,
    teams: teamsConfig(env),
    auditSigningKey: env.INTERLOCK_AUDIT_SIGNING_KEY || undefined,
    auditPublicKey: env.INTERLOCK_AUDIT_PUBLIC_KEY || undefined,
    grantSigningKey: env.INTERLOCK_GRANT_SIGNING_KEY || undefined,
    auditCheckpointSeconds: seconds(env, 'INTERLOCK_AUDIT_CHECKPOINT_INTERVAL', 60),
    migrateOnStart: flag(env, 'INTERLOCK_DB_MIGRATE', true),
    logLevel: env.LOG_LEVEL || 'info',
    rateLimitPerMinute: positiveInt(env, 'INTERLOCK_RATE_LIMIT', 1200),
    rateLimitAnonPerMinute: positiveInt(env, 'INTERLOCK_RATE_LIMIT_ANON', 300),
    startLimitPerMinute: positiveInt(env, 'INTERLOCK_START_LIMIT', 600),
    submitConcurrency: positiveInt(env, 'INTERLOCK_SUBMIT_CONCURRENCY', 8),
    workerCacheSize: positiveInt(env, 'INTERLOCK_WORKER_CACHE', 100),
    jwksCooldownSeconds: seconds(env, 'INTERLOCK_JWKS_COOLDOWN', 30),
    sessionSecret: env.INTERLOCK_SESSION_SECRET || undefined,
    oidcClientSecret: env.INTERLOCK_OIDC_CLIENT_SECRET || undefined,
  };
}

export function temporalUiLink(config: Pick<Config, 'temporalUiUrl' | 'temporalNamespace'>, workflowId: string): string {
  return `${config.temporalUiUrl}/namespaces/${encodeURIComponent(config.temporalNamespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** Connection options for the Temporal client and the worker's native connection (the same shape for both). */
export function temporalConnectionOptions(config: Pick<Config, 'temporalAuth'>, address: string) {
  const a = config.temporalAuth;
  const read = (file: string | undefined) => (file ? readFileSync(file) : undefined);
  const tls = a.tls
    ? {
        ...(a.serverName ? { serverNameOverride: a.serverName } : {}),
        ...(a.serverCaCertPath ? { serverRootCACertificate: read(a.serverCaCertPath) } : {}),
        ...(a.clientCertPath ? { clientCertPair: { crt: read(a.clientCertPath)!, key: read(a.clientKeyPath)! } } : {}),
      }
    : undefined;
  return { address, ...(tls ? { tls } : {}), ...(a.apiKey ? { apiKey: a.apiKey } : {}) };
}
