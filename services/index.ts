// The wiring every process (API, worker, CLI, tests) opens once: database, audit writer, policy, principals, metrics.
import { AuditWriter } from '../audit';
import type { Config } from '../config';
import { openDatabase, type Database } from '../db';
import { PrincipalsStore } from '../identity';
import { createMetrics, type Logger, type Metrics } from '../observability';
import { PolicyStore } from '../policy';
import type { TargetSource } from '../targets/types';

/** What both the API and the worker need, opened once per process. */
export interface Services {
  config: Config;
  log: Logger;
  metrics: Metrics;
  database: Database;
  audit: AuditWriter;
  policy: PolicyStore;
  principals: PrincipalsStore;
  /** The operators' targets; absent until the targets store is wired (LEAD: H1's TargetsStore), read as none. */
  targets?: TargetSource;
  close(): Promise<void>;
}

export async function openServices(config: Config, log: Logger, opts: { watch?: boolean } = {}): Promise<Services> {
  const metrics = createMetrics();
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  if (config.migrateOnStart) await database.migrate();
  const principals = new PrincipalsStore(config.principalsFile, log);
  const policy = new PolicyStore({ file: config.policyFile, logger: log, registry: metrics.registry });
  await policy.load();
  if (opts.watch !== false) {
    principals.start();
    policy.start();
  }
  const audit = new AuditWriter(database.db);
  return {
    config,
    log,
    metrics,
    database,
    audit,
    policy,
    principals,
    async close() {
      policy.stop();
      principals.stop();
      await audit.idle();
      await database.close();
    },
  };
}
