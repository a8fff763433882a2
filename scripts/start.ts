import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { buildApi } from '../api';
import { auditKeys, Checkpointer, ensureDevSigningKey } from '../audit';
import { ConfigError, loadConfig } from '../config';
import { apiTokens } from '../db/schema';
import { createToken } from '../identity';
import { createLogger } from '../observability';
import { findTemporalCli, startDevServer, type DevServer } from '../devserver';
import { openServices } from '../services';
import { startWorker } from '../worker';
import { createChannels } from '../channels';

/** `npm start`: the whole local stack in the foreground; Ctrl-C stops it in order and loses nothing. */
async function main() {
  const config = loadConfig();
  const log = createLogger({ level: config.logLevel });
  mkdirSync(config.dataDir, { recursive: true });
  const stopping: (() => Promise<void>)[] = [];
  let shuttingDown = 0;
  const shutdown = async (signal: string) => {
    // One Ctrl-C can arrive twice (the terminal signals the group, tsx relays it): only a later one forces.
    if (shuttingDown && Date.now() - shuttingDown < 2000) return;
    if (shuttingDown) {
      log.warn('second Ctrl-C: exiting now without a clean stop');
      process.exit(1);
    }
    shuttingDown = Date.now();
    log.info({ signal }, 'stopping: API, then worker, then database, then Temporal');
    for (const stop of stopping.reverse()) await stop().catch((err) => log.error({ err }, 'error while stopping'));
    log.info('stopped cleanly');
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  let devServer: DevServer | null = null;
  let address = config.temporalAddress;
  if (!address) {
    const binary = findTemporalCli({ explicit: config.temporalCliPath, log: (l) => log.info(l) });
    log.info({ binary, db: path.join(config.dataDir, 'temporal.db') }, 'starting Temporal dev server');
    devServer = await startDevServer({ binary, dataDir: config.dataDir, onLog: (l) => log.debug({ temporal: l }) });
    address = devServer.address;
    stopping.push(() => devServer!.stop());
  }

  if (!config.webhookSecret) {
    const file = path.join(config.dataDir, 'webhook-secret');
    if (!existsSync(file)) writeFileSync(file, `whsec_${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    config.webhookSecret = readFileSync(file, 'utf8').trim();
    log.info({ file }, 'INTERLOCK_WEBHOOK_SECRET not set: http executor signs with the generated local secret');
  }

  if (!config.auditSigningKey) {
    const dev = ensureDevSigningKey(config.dataDir); // auditKeys falls back to this file
    log.info({ file: dev.file }, `INTERLOCK_AUDIT_SIGNING_KEY not set: audit checkpoints are signed with ${dev.created ? 'a newly generated' : 'the'} local development key; \`npx interlock audit public-key\` prints its public half`);
  }
  const signer = auditKeys(config).signer!;

  const services = await openServices(config, log);
  stopping.push(() => services.close());
  // Stopped after the worker (the list runs in reverse), so its final checkpoint covers every event.
  const checkpointer = new Checkpointer({ db: services.database.db, signer, log, intervalMs: config.auditCheckpointSeconds * 1000 }).start();
  stopping.push(() => checkpointer.stop());
  log.info({ database: services.database.kind, policy: services.policy.current().version }, 'database migrated, policy loaded');
  const tokenFile = await issueFirstRunTokens(services, config.dataDir);

  const connection = await Connection.connect({ address });
  const temporal = new Client({ connection, namespace: config.temporalNamespace });
  stopping.push(() => connection.close());
  const channels = await createChannels({ services });
  const worker = await startWorker(services, { address, channels });
  stopping.push(() => worker.shutdown());
  const api = await buildApi({ services, temporal, extend: async (app, actions) => void (await Promise.all(channels.map((c) => c.mount?.(app, actions)))) });
  await api.listen({ host: config.host, port: config.port });
  stopping.push(() => api.close());
  for (const c of channels) if (c.stop) stopping.push(() => c.stop!());

  const lines = [
    '',
    '  Interlock is running.',
    `  API           ${config.publicUrl}`,
    `  API docs      ${config.publicUrl}/docs`,
    `  Temporal UI   ${devServer?.uiUrl ?? config.temporalUiUrl}`,
    `  Temporal      ${address} (namespace ${config.temporalNamespace}, task queue ${config.taskQueue})`,
    `  Database      ${services.database.kind === 'pglite' ? `embedded PGlite in ${path.join(config.dataDir, 'pglite')}` : 'Postgres (DATABASE_URL)'}`,
    `  Channels      ${channels.length ? channels.map((c) => c.name).join(', ') : 'none (Slack: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET)'}`,
    `  Audit         checkpoints signed by ${signer.keyId} ${config.auditCheckpointSeconds > 0 ? `every ${config.auditCheckpointSeconds} s` : 'on shutdown only'} (npx interlock audit public-key)`,
    tokenFile ? `  API tokens    created for the example principals: ${tokenFile}` : '',
    '  Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(lines.filter((l) => l !== '').join('\n') + '\n');
  await worker.done.catch((err) => log.error({ err }, 'worker stopped with an error'));
  if (!shuttingDown) await shutdown('worker-stopped');
}

/** First start only: a token for each example principal, written to a 0600 file under the data dir. */
async function issueFirstRunTokens(services: Awaited<ReturnType<typeof openServices>>, dataDir: string): Promise<string | null> {
  const db = services.database.db;
  const existing = await db.select({ id: apiTokens.id }).from(apiTokens).limit(1);
  if (existing.length > 0) return null;
  const file = path.join(dataDir, 'dev-tokens.env');
  const lines = ['# API tokens created on first start (only their hashes are stored). `source` this file to use them.'];
  for (const p of services.principals.current().all()) {
    const { token } = await createToken(db, p.id, 'first-start');
    const name = p.id.replace(/^svc:/, '').split('@')[0].replace(/[^A-Za-z0-9]+/g, '_').toUpperCase();
    lines.push(`export ${name}_TOKEN=${token}  # ${p.id}`);
  }
  writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
  return file;
}

main().catch((err) => {
  if (err instanceof ConfigError) process.stderr.write(`interlock: configuration error: ${err.message}\n`);
  else process.stderr.write(`interlock: failed to start: ${err?.stack ?? err}\n`);
  process.exit(1);
});
