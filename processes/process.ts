import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { auditKeys, Checkpointer, ensureDevSigningKey } from '../audit';
import { createChannels, type Channel } from '../channels';
import type { Config } from '../config';
import { installTracing, type Logger } from '../observability';
import { openServices, type Services } from '../services';
import type { Lifecycle } from './lifecycle';

/** One Interlock process before its roles start: migrated database, loaded policy, audit checkpoints running. */
export interface InterlockProcess {
  config: Config;
  log: Logger;
  services: Services;
  /** The key audit checkpoints are signed with, for the banner. */
  auditKeyId: string;
  lifecycle: Lifecycle;
}

/**
 * Opens what every role needs, once per process. Migrations run here in whichever process starts first
 * (the others wait on the migration lock and find nothing to do); each process checkpoints the audit head
 * (the checkpoint lock makes them take turns), so a clean stop of any one leaves its events signed.
 */
export async function openProcess(config: Config, log: Logger, lifecycle: Lifecycle): Promise<InterlockProcess> {
  mkdirSync(config.dataDir, { recursive: true });
  const tracing = installTracing();
  if (tracing.enabled) {
    log.info({ endpoint: process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT }, 'tracing: exporting spans by OTLP');
    lifecycle.add('tracing', () => tracing.shutdown()); // stopped last: the final spans are flushed
  }
  useLocalWebhookSecret(config, log);
  if (!config.auditSigningKey) {
    const dev = ensureDevSigningKey(config.dataDir); // auditKeys falls back to this file
    log.info({ file: dev.file }, `INTERLOCK_AUDIT_SIGNING_KEY not set: audit checkpoints are signed with ${dev.created ? 'a newly generated' : 'the'} local development key; \`npx interlock audit public-key\` prints its public half`);
  }
  const signer = auditKeys(config).signer!;
  const services = await openServices(config, log);
  lifecycle.add('database', () => services.close());
  // Stopped after the roles (the lifecycle runs in reverse), so its final checkpoint covers every event.
  const checkpointer = new Checkpointer({ db: services.database.db, signer, log, intervalMs: config.auditCheckpointSeconds * 1000 }).start();
  lifecycle.add('audit checkpointer', () => checkpointer.stop());
  return { config, log, services, auditKeyId: signer.keyId, lifecycle };
}

/** Without INTERLOCK_WEBHOOK_SECRET the http executor signs with a secret generated under the data dir. */
function useLocalWebhookSecret(config: Config, log: Logger): void {
  if (config.webhookSecret) return;
  const file = path.join(config.dataDir, 'webhook-secret');
  if (!existsSync(file)) writeFileSync(file, `whsec_${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  config.webhookSecret = readFileSync(file, 'utf8').trim();
  log.info({ file }, 'INTERLOCK_WEBHOOK_SECRET not set: the http executor signs with the generated local secret (every worker of a deployment must share one: set the variable when workers run on several hosts)');
}

/** The configured channels, opened once per process: the worker notifies through them, the API mounts their inbound routes. */
export async function openChannels(p: InterlockProcess): Promise<Channel[]> {
  const channels = await createChannels({ services: p.services });
  for (const c of channels) if (c.stop) p.lifecycle.add(`${c.name} channel`, () => c.stop!());
  return channels;
}
