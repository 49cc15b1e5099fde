export {
  augmentDataset,
  generateAugmentedRecords,
  type AugmentationFacts,
  type AugmentOptions,
  type GenerateOptions,
} from './augment.js';
export { EntityMatcher } from './entitySpans.js';
export {
  lexiconHash,
  lexiconSchema,
  loadLexicon,
  parseLexicon,
  type Lexicon,
  type LexiconTerm,
} from './lexicon.js';
export {
  augmentationTemplateSchema,
  DEFAULT_TEMPLATES,
  fill,
  instructionPart,
  requiredAttributes,
  type AugmentationTemplate,
} from './templates.js';
