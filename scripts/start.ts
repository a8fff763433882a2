import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config';
import { apiTokens } from '../db/schema';
import { findTemporalCli, startDevServer, type DevServer } from '../devserver';
import { ensureSearchAttributes } from '../cli/temporal';
import { createToken } from '../identity';
import { createLogger } from '../observability';
import { Lifecycle, openChannels, openProcess, startApiRole, startWorkerRole, type InterlockProcess } from '../processes';

/** `npm start`: the whole local stack in the foreground; Ctrl-C stops it in order and loses nothing. */
async function main() {
  const config = loadConfig();
  const log = createLogger({ level: config.logLevel });
  const lifecycle = new Lifecycle(log);
  let stopping = false;
  const stopped = async (reason: string, code: number) => {
    if (stopping) return; // the worker's own end follows a signal's stop: one stop, one exit
    stopping = true;
    log.info({ reason }, 'stopping: API, then worker, then database, then Temporal');
    await lifecycle.stop();
    log.info('stopped cleanly');
    process.exit(code);
  };
  const signal = lifecycle.untilSignal();
  void signal.then((s) => stopped(s, 0));

  let devServer: DevServer | null = null;
  let address = config.temporalAddress;
  if (!address) {
    const binary = findTemporalCli({ explicit: config.temporalCliPath, log: (l) => log.info(l) });
    log.info({ binary, db: path.join(config.dataDir, 'temporal.db') }, 'starting Temporal dev server');
    devServer = await startDevServer({ binary, dataDir: config.dataDir, namespace: config.temporalNamespace, onLog: (l) => log.debug({ temporal: l }) });
    address = devServer.address;
    lifecycle.add('Temporal dev server', () => devServer!.stop());
  } else {
    // An existing Temporal: register the search attributes when they are missing, as migrations set up the database
    // (what `npx interlock temporal setup` does; where the operator API refuses, say so and go on).
    await ensureSearchAttributes(config, address).then(
      (added) => added.length && log.info({ added, namespace: config.temporalNamespace }, 'search attributes registered'),
      (err) => log.warn({ err: (err as Error).message, namespace: config.temporalNamespace }, 'could not check or register the search attributes; run `npx interlock temporal setup` with an operator\'s credentials'),
    );
  }

  const p = await openProcess(config, log, lifecycle);
  log.info({ database: p.services.database.kind, policy: p.services.policy.current().version }, 'database migrated, policy loaded');
  const tokenFile = await issueFirstRunTokens(p);
  const channels = await openChannels(p);
  const worker = await startWorkerRole(p, { address, channels });
  await startApiRole(p, { address, channels });

  const lines = [
    '',
    '  Interlock is running.',
    `  API           ${config.publicUrl}`,
    `  API docs      ${config.publicUrl}/docs`,
    `  Temporal UI   ${devServer?.uiUrl ?? config.temporalUiUrl}`,
    `  Temporal      ${address} (namespace ${config.temporalNamespace}, task queue ${worker.taskQueue})`,
    `  Database      ${p.services.database.kind === 'pglite' ? `embedded PGlite in ${path.join(config.dataDir, 'pglite')}` : 'Postgres (DATABASE_URL)'}`,
    `  Channels      ${channels.length ? channels.map((c) => c.name).join(', ') : 'none (Slack: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET; Teams: TEAMS_APP_ID and TEAMS_APP_PASSWORD)'}`,
    `  Audit         checkpoints signed by ${p.auditKeyId} ${config.auditCheckpointSeconds > 0 ? `every ${config.auditCheckpointSeconds} s` : 'on shutdown only'} (npx interlock audit public-key)`,
    tokenFile ? `  API tokens    created for the example principals: ${tokenFile}` : '',
    '  Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(lines.filter((l) => l !== '').join('\n') + '\n');
  await worker.done.catch((err) => log.error({ err }, 'worker stopped with an error'));
  await stopped('worker-stopped', 0);
}

/** First start only: a token for each example principal, written to a 0600 file under the data dir. */
async function issueFirstRunTokens({ services, config }: InterlockProcess): Promise<string | null> {
  const db = services.database.db;
  const existing = await db.select({ id: apiTokens.id }).from(apiTokens).limit(1);
  if (existing.length > 0) return null;
  const file = path.join(config.dataDir, 'dev-tokens.env');
  const lines = ['# API tokens created on first start (only their hashes are stored). `source` this file to use them.'];
  for (const principal of services.principals.current().all()) {
    const { token } = await createToken(db, principal.id, { label: 'first-start', createdBy: 'npm start', audit: services.audit });
    const name = principal.id.replace(/^svc:/, '').split('@')[0].replace(/[^A-Za-z0-9]+/g, '_').toUpperCase();
    lines.push(`export ${name}_TOKEN=${token}  # ${principal.id}`);
  }
  writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
  return file;
}

main().catch((err) => {
  if (err instanceof ConfigError) process.stderr.write(`interlock: configuration error: ${err.message}\n`);
  else process.stderr.write(`interlock: failed to start: ${err?.stack ?? err}\n`);
  process.exit(1);
});
