export { Deduplicator, type DedupMode, type DedupOptions, type DedupVerdict } from './deduplicator.js';
export { estimatedJaccard, MinHasher } from './minHash.js';
export { normaliseText } from './normaliseText.js';
export { fmix32, hash53, murmur3 } from './stringHash.js';
export { splitOf, type SplitOptions } from './trainEvalSplit.js';
