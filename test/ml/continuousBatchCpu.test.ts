import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ContinuousBatcher,
  generate,
  LlamaModel,
  makeLlamaConfig,
  type GenerateOptions,
} from '../../src/ml/index.js';

/**
 * The batch cache's in-place paths (free rows taken by rows that join, rows moved to the front of their
 * slots) have a fallback that builds new tensors on backends other than wasm: the same answers there.
 */
const config = makeLlamaConfig({
  vocabSize: 23,
  hiddenSize: 16,
  intermediateSize: 24,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  eosTokenId: 2,
  maxPositionEmbeddings: 64,
});

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('continuous batching on the cpu backend', () => {
  it('a steady stream takes the free rows, with the greedy tokens each sequence gets alone', () => {
    expect(tf.getBackend()).toBe('cpu');
    const model = LlamaModel.random(config, 13, 0.5);
    const prompts = [[1, 7, 3], [1], [1, 5, 9, 11, 4, 6, 8], [1, 12, 13, 14, 15]];
    const stream = Array.from({ length: 24 }, (_, i) => ({
      prompt: prompts[i % prompts.length]!.map((id, t) => (t === 0 ? id : (id + i) % config.vocabSize)),
      options: { maxTokens: 5 + ((i * 7) % 7), stopTokenIds: [] } satisfies GenerateOptions,
    }));
    const alone = stream.map(({ prompt, options }) => generate(model, prompt, options).tokens);
    const batcher = new ContinuousBatcher(model, { maxBatch: 6 });
    const results: number[][] = [];
    // One sequence arrives at every step, more than 6 rows hold.
    for (let step = 0; step < stream.length || !batcher.idle; step++) {
      const next = stream[step];
      if (next)
        batcher.submit(
          next.prompt,
          next.options,
          (result) => (results[step] = result.tokens),
          (error) => {
            throw error;
          },
        );
      batcher.step();
    }
    expect(results).toEqual(alone);
    expect(batcher.joinedFreeRows).toBeGreaterThan(stream.length / 4);
  });
});
