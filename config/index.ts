// Configuration: the environment read and checked once at start-up into one typed Config (a bad value stops the process).
import path from 'node:path';
import { AllowListEntryError, parseAllowList, type PrivateAllowList } from '../network';

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
  temporalUiUrl: string;
  policyFile: string;
  principalsFile: string;
  /** targets.yaml: where approved actions may run, with references to their credentials (INTERLOCK_TARGETS). */
  targetsFile: string;
  publicUrl: string;
  webhookSecret: string | undefined;
  /** `host:port` pairs the http executor may reach although private or loopback (INTERLOCK_HTTP_ALLOW_PRIVATE). */
  httpAllowPrivate: PrivateAllowList;
  slack: { botToken: string; signingSecret: string; appToken: string | undefined; apiUrl: string | undefined; defaultChannel: string | undefined } | null;
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
  /** Least seconds between two fetches of an IdP's keys forced by an unknown key id (INTERLOCK_JWKS_COOLDOWN); a rotation is followed after it. */
  jwksCooldownSeconds: number;
  /** Signs console session cookies (INTERLOCK_SESSION_SECRET); unset: one generated under the data dir. */
  sessionSecret: string | undefined;
  /** The console's client secret at the people issuer (INTERLOCK_OIDC_CLIENT_SECRET). */
  oidcClientSecret: string | undefined;
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
    temporalUiUrl: uiBase.replace(/\/$/, ''),
    policyFile: path.resolve(env.INTERLOCK_POLICY || 'policy.yaml'),
    principalsFile: path.resolve(env.INTERLOCK_PRINCIPALS || 'principals.yaml'),
    targetsFile: path.resolve(env.INTERLOCK_TARGETS || 'targets.yaml'),
    publicUrl: (env.INTERLOCK_PUBLIC_URL || `http://${displayHost}:${listenPort}`).replace(/\/$/, ''),
    webhookSecret: env.INTERLOCK_WEBHOOK_SECRET || undefined,
    httpAllowPrivate: allowList(env, 'INTERLOCK_HTTP_ALLOW_PRIVATE'),
    slack: botToken ? { botToken, signingSecret: signingSecret ?? '', appToken: env.SLACK_APP_TOKEN || undefined, apiUrl: env.SLACK_API_URL || undefined, defaultChannel: env.SLACK_DEFAULT_CHANNEL || undefined } : null,
    auditSigningKey: env.INTERLOCK_AUDIT_SIGNING_KEY || undefined,
    auditPublicKey: env.INTERLOCK_AUDIT_PUBLIC_KEY || undefined,
    grantSigningKey: env.INTERLOCK_GRANT_SIGNING_KEY || undefined,
    auditCheckpointSeconds: seconds(env, 'INTERLOCK_AUDIT_CHECKPOINT_INTERVAL', 60),
    migrateOnStart: flag(env, 'INTERLOCK_DB_MIGRATE', true),
    logLevel: env.LOG_LEVEL || 'info',
    rateLimitPerMinute: positiveInt(env, 'INTERLOCK_RATE_LIMIT', 1200),
    rateLimitAnonPerMinute: positiveInt(env, 'INTERLOCK_RATE_LIMIT_ANON', 300),
    startLimitPerMinute: positiveInt(env, 'INTERLOCK_START_LIMIT', 120),
    submitConcurrency: positiveInt(env, 'INTERLOCK_SUBMIT_CONCURRENCY', 8),
    jwksCooldownSeconds: seconds(env, 'INTERLOCK_JWKS_COOLDOWN', 30),
    sessionSecret: env.INTERLOCK_SESSION_SECRET || undefined,
    oidcClientSecret: env.INTERLOCK_OIDC_CLIENT_SECRET || undefined,
  };
}

export function temporalUiLink(config: Pick<Config, 'temporalUiUrl' | 'temporalNamespace'>, workflowId: string): string {
  return `${config.temporalUiUrl}/namespaces/${encodeURIComponent(config.temporalNamespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
