export { readCanonicalRecords } from './canonicalRecords.js';
export { DatasetValidationError } from './datasetValidationError.js';
export {
  ingestDataset,
  redactRecord,
  type IngestOptions,
  type PiiReport,
  type QualityReport,
  type RevisionFacts,
} from './ingestDataset.js';
export {
  CANONICAL_MEDIA_TYPE,
  RevisionWriter,
  type SplitFacts,
  type StoredRevision,
} from './revisionWriter.js';
