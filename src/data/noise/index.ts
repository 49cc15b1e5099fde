export { CHINESE_DISTRACTORS, ENGLISH_DISTRACTORS, addDistractor } from './distractors.js';
export { CHINESE_INJECTIONS, ENGLISH_INJECTIONS, injectPrompt } from './injection.js';
export {
  NOISE_TYPES,
  noisyVariant,
  noisyVariants,
  type NoiseOptions,
  type NoiseType,
  type NoisyVariant,
} from './noisyVariants.js';
export { withNoisyCopies, type NoisyExampleOptions } from './noisyExamples.js';
export { reorderSentences } from './reorder.js';
export { hashSeed, pick, seededRandom, shuffle, type Random } from './seededRandom.js';
export { splitSentences } from './sentences.js';
export { addTypos, type TypoOptions } from './typos.js';
