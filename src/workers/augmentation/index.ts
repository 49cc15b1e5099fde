/** The augmentation worker (job kind `augment`) and what requesters share with it. */
export { augmentationJobHandler, type AugmentationWorkerOptions } from './augmentationJob.js';
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
