export { readCanonicalRecords } from './canonicalRecords.js';
export { DatasetValidationError } from './datasetValidationError.js';
export { DerivedSplits } from './derivedSplits.js';
export {
  describeShortfall,
  EvalSplitTooSmallError,
  evalSplitShortfall,
  MIN_EVAL_RECORDS,
  minimumEvalRecords,
  type EvalSplitShortfall,
} from './evalSplitMinimum.js';
export { EmptyDatasetError } from './emptyDatasetError.js';
export {
  ingestDataset,
  redactRecord,
  type IngestOptions,
  type PiiReport,
  type QualityReport,
  type RevisionFacts,
} from './ingestDataset.js';
export { copyParentRecords, type ParentRevision } from './parentRevision.js';
export { splitContent, splitOfRecord, type Split } from './recordSplit.js';
export {
  CANONICAL_MEDIA_TYPE,
  RevisionWriter,
  type SplitFacts,
  type StoredRevision,
} from './revisionWriter.js';
