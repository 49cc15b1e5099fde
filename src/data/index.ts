/**
 * Dataset preparation: formats and validation, canonical revisions in the content-addressed
 * artifact store, instruction quality, dedup and splits, augmentation, PII redaction, and flywheel
 * revisions from labelled production interactions. Knows nothing of GraphQL or the event store: it
 * returns the facts the dataset service records.
 */
export * from './artifacts/index.js';
export * from './augmentation/index.js';
export * from './dedup/index.js';
export * from './flywheel/index.js';
export * from './formats/index.js';
export * from './ingest/index.js';
export * from './pii/index.js';
export * from './quality/index.js';
