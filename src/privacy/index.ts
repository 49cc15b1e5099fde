/**
 * Crypto-shredding: personal fields of events are stored encrypted per data subject, and forgetting a subject
 * destroys its key (docs/privacy.md).
 */
export { ERASED, isEncryptedField, type EncryptedField } from './envelope.js';
export { personalFields, subjectOf } from './personalFields.js';
export { loadMasterKey, parseMasterKey, MASTER_KEY_FILE } from './masterKey.js';
export { SubjectKeys } from './subjectKeys.js';
export { ShreddingEventStore } from './shreddingEventStore.js';
