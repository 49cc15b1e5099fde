/** The event store's public face: the port, its errors, and the PostgreSQL/PGlite adapter. */
export * from './eventStore.js';
export {
  EventStoreError,
  IdempotencyConflictError,
  IdempotencyKeyReusedError,
  InvalidEventError,
  WrongExpectedVersionError,
} from './errors.js';
export { isDatabaseUnavailable } from './databaseUnavailable.js';
export { canonicalJson } from './canonicalJson.js';
export { MAX_IDEMPOTENCY_KEY_LENGTH, MAX_STREAM_ID_LENGTH } from './prepareEvents.js';
export { eventHash, verifyChain, type HashedFields } from './hashChain.js';
export {
  EVENTS_CHANNEL,
  PostgresEventStore,
  openDatabase,
  pgliteDialect,
  type Database,
  type DatabaseKind,
  type Listen,
  type OpenDatabaseOptions,
  type PostgresEventStoreOptions,
} from './postgres/index.js';
export { EsdbEventStore } from './esdb/index.js';
export * from './ledger/index.js';
export {
  EMPTY_ROOT,
  MerkleFrontier,
  consistencyProof,
  consistencyProofRanges,
  inclusionProof,
  inclusionProofRanges,
  leafHash,
  merkleRoot,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
  type LeafRange,
} from './merkle.js';
