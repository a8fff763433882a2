export { openDatabase, schema, DatabaseInUseError, type Database, type Db } from './client';
export * from './schema';
