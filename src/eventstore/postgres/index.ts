export {
  openDatabase,
  type Database,
  type DatabaseKind,
  type Listen,
  type OpenDatabaseOptions,
} from './database.js';
export { pgliteDialect } from './pgliteDialect.js';
export { PostgresEventStore, EVENTS_CHANNEL, type PostgresEventStoreOptions } from './postgresEventStore.js';
export { formatCheckpoint, parseCheckpoint } from './checkpoint.js';
