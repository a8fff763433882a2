// The wiring every process (API, worker, CLI, tests) opens once: database, audit writer, policy, principals, targets, metrics.
import { AuditWriter } from '../audit';
import type { Config } from '../config';
import { countPendingActions, openDatabase, type Database } from '../db';
import { GrantKeys } from '../grants';
import { PrincipalsStore } from '../identity';
import { createMetrics, type Logger, type Metrics } from '../observability';
import { PolicyStore } from '../policy';
import { TargetsStore } from '../targets';
import { auditConfigReloads } from './config-reloads';

/** What both the API and the worker need, opened once per process. */
export interface Services {
  config: Config;
  log: Logger;
  metrics: Metrics;
  database: Database;
  audit: AuditWriter;
  policy: PolicyStore;
  principals: PrincipalsStore;
  /** targets.yaml in force (hot reloaded); executors and the submission checks read `targets.current()`. */
  targets: TargetsStore;
  /** The keys gate-mode grants are signed with (the API signs them on read; the worker never does). */
  grants: GrantKeys;
  close(): Promise<void>;
}

export async function openServices(config: Config, log: Logger, opts: { watch?: boolean } = {}): Promise<Services> {
  const metrics = createMetrics();
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  if (config.migrateOnStart) await database.migrate();
  metrics.countPendingWith(() => countPendingActions(database.db));
  const principals = new PrincipalsStore(config.principalsFile, log);
  const policy = new PolicyStore({ file: config.policyFile, logger: log, registry: metrics.registry });
  await policy.load();
  const targets = new TargetsStore({ file: config.targetsFile, logger: log });
  await targets.load();
  const audit = new AuditWriter(database.db);
  if (opts.watch !== false) {
    auditConfigReloads(audit, log, [
      { kind: 'policy', file: config.policyFile, version: () => policy.status().version, onReload: (l) => policy.on('reload', (v) => l(v)) },
      { kind: 'targets', file: config.targetsFile, version: () => targets.status().version, onReload: (l) => targets.on('reload', (v) => l(v)) },
      { kind: 'principals', file: config.principalsFile, version: () => principals.version, onReload: (l) => principals.on('reload', (v) => l(v)) },
    ]);
    principals.start();
    policy.start();
    targets.start();
  }
  const grants = GrantKeys.load(config); // a bad key stops start-up, not the first approval
  return {
    config,
    log,
    metrics,
    database,
    audit,
    policy,
    principals,
    targets,
    grants,
    async close() {
      policy.stop();
      await targets.stop();
      principals.stop();
      await audit.idle();
      await database.close();
    },
  };
}
