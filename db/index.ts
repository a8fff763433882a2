// The database: the drizzle schema, the committed migrations, and a client for Postgres or embedded PGlite.
export { openDatabase, schema, DatabaseInUseError, type Database, type Db } from './client';
export * from './schema';
export { countPendingActions } from './pending';
