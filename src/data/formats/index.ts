export { canonicalJson, canonicalRecordJson } from './canonicalJson.js';
export {
  CONTAINERS,
  DATASET_FORMATS,
  MESSAGE_ROLES,
  instructionOf,
  responseOf,
  type Container,
  type DatasetFormat,
  type DatasetRecord,
  type EntitySpan,
  type Message,
  type Provenance,
  type Role,
} from './datasetRecord.js';
export { alpacaSchema, openaiMessagesSchema, preferenceSchema, sharegptSchema } from './formatSchemas.js';
export { normaliseRecord, type NormaliseResult } from './normalise.js';
export {
  containerFromPath,
  detectFormat,
  openSource,
  readContainer,
  readCsv,
  readJsonArray,
  readJsonl,
  sniffContainer,
  type DatasetSource,
  type RawItem,
} from './recordSource.js';
export { type ValidationIssue } from './validationIssue.js';
export { MAX_RECORD_BYTES, decodeUtf8Lines, firstInvalidUtf8, type DroppedLine } from './utf8Lines.js';
