/** Dataset ingestion, augmentation requests and flywheel revisions: src/data's preparation recorded as dataset events. */
export {
  augmentationResult,
  datasetIdForName,
  ingestIntoPlatform,
  requestAugmentationInPlatform,
  type AugmentationRequestInput,
  type AugmentationRequestOutcome,
  type AugmentationResult,
  type DatasetDependencies,
  type IngestOutcome,
  type IngestProgress,
  type IngestRequest,
} from './datasetIngestion.js';
export { DatasetRequestError } from './datasetRequestError.js';
export { buildFlywheelRevision, type FlywheelOutcome, type FlywheelRequest } from './flywheelRevision.js';
export {
  buildPreferenceRevision,
  type PreferenceRevisionOutcome,
  type PreferenceRevisionRequest,
} from './preferenceRevision.js';
export {
  resolveTemplateReferences,
  templateListSchema,
  templateReferences,
} from './augmentationTemplates.js';
export { LEXICON_MEDIA_TYPE, loadStoredLexicon, storeLexicon } from './lexiconArtifact.js';
export {
  eventQualityReport,
  qualityDetails,
  storedRevisionFields,
  type StoredRevisionFields,
} from './revisionFields.js';
