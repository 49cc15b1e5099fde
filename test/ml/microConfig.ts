import { makeLlamaConfig } from '../../src/ml/index.js';

/** The smallest LLaMA the trainer tests fit in milliseconds: 19 tokens, hidden 16, 2 layers, grouped KV. */
export const microConfig = makeLlamaConfig({
  vocabSize: 19,
  hiddenSize: 16,
  intermediateSize: 24,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
});
