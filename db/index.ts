export { openDatabase, schema, type Database, type Db } from './client';
export * from './schema';
