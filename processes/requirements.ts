import { ConfigError, type Config } from '../config';

/**
 * `interlock api` and `interlock worker` run beside other processes, so both stores must be ones they can
 * share: a Temporal service (no dev server of their own) and a Postgres. The embedded PGlite database is
 * one directory that one process opens at a time (a second is refused), so it is refused here up front.
 */
export function requireSharedStores(config: Config, role: 'api' | 'worker'): void {
  if (!config.temporalAddress) {
    throw new ConfigError('TEMPORAL_ADDRESS', `is required for \`interlock ${role}\` (host:port of the Temporal frontend every api and worker shares); \`npm start\` runs a dev server for you`);
  }
  if (!config.databaseUrl) {
    throw new ConfigError('DATABASE_URL', `is required for \`interlock ${role}\`: the embedded PGlite database serves one process only, so separate api and worker processes need a Postgres they share (postgres://...); \`npm start\` runs everything in one process on PGlite`);
  }
}
