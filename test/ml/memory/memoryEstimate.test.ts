import { describe, expect, it } from 'vitest';
import {
  estimateTrainingMemory,
  loraParameterCount,
  parameterCount,
  type ModelShape,
} from '../../../src/ml/memory/index.js';

// Published shapes (config.json of each model on the Hugging Face hub).
const llama2_7b: ModelShape = {
  vocabSize: 32000,
  hiddenSize: 4096,
  intermediateSize: 11008,
  numLayers: 32,
  numHeads: 32,
  numKvHeads: 32,
  headDim: 128,
  tieWordEmbeddings: false,
};
const llama3_8b: ModelShape = {
  vocabSize: 128256,
  hiddenSize: 4096,
  intermediateSize: 14336,
  numLayers: 32,
  numHeads: 32,
  numKvHeads: 8,
  headDim: 128,
  tieWordEmbeddings: false,
};
const tinyLlama: ModelShape = {
  vocabSize: 32000,
  hiddenSize: 2048,
  intermediateSize: 5632,
  numLayers: 22,
  numHeads: 32,
  numKvHeads: 4,
  headDim: 64,
  tieWordEmbeddings: false,
};
const GiB = 1024 ** 3;

describe('memory estimate', () => {
  it('counts parameters as the published model cards do', () => {
    expect(parameterCount(llama2_7b)).toBe(6_738_415_616);
    expect(parameterCount(llama3_8b)).toBe(8_030_261_248);
    expect(parameterCount(tinyLlama)).toBe(1_100_048_384);
  });

  it('counts LoRA parameters as PEFT print_trainable_parameters does', () => {
    // Llama-2-7b, r=8 on q_proj and v_proj: "trainable params: 4,194,304".
    expect(loraParameterCount(llama2_7b, 8, ['q_proj', 'v_proj'])).toBe(4_194_304);
    // Llama-3-8B, r=16 on all linear layers: "trainable params: 41,943,040".
    expect(
      loraParameterCount(llama3_8b, 16, [
        'q_proj',
        'k_proj',
        'v_proj',
        'o_proj',
        'gate_proj',
        'up_proj',
        'down_proj',
      ]),
    ).toBe(41_943_040);
  });

  it('full fine-tuning in fp32 holds 16 bytes per parameter before activations', () => {
    const e = estimateTrainingMemory({
      model: llama2_7b,
      method: { kind: 'full' },
      batchSize: 1,
      sequenceLength: 512,
    });
    expect(e.weightsBytes + e.gradientsBytes + e.optimizerBytes).toBe(16 * 6_738_415_616);
  });

  it('counts activations of a one-layer model by hand', () => {
    // h=4, i=8, heads=2 (d=2), kv heads 1, vocab 10, s=3, batch 2, fp32:
    // attention: s*h (norm) + s*(h+2*kv*d)=3*8 (qkv) + 2*heads*s^2=36 (scores, probs) + 2*s*h=24 -> 12+24+36+24 = 96
    // mlp: s*h=12 (norm) + 4*s*i=96 -> 108; residuals 2*s*h = 24; layer total 228 elements = 912 bytes
    // head: 2*s*vocab*4 bytes = 240; per sequence 1152 bytes, batch 2 -> 2304.
    const model: ModelShape = {
      vocabSize: 10,
      hiddenSize: 4,
      intermediateSize: 8,
      numLayers: 1,
      numHeads: 2,
      numKvHeads: 1,
      headDim: 2,
      tieWordEmbeddings: true,
    };
    const e = estimateTrainingMemory({ model, method: { kind: 'full' }, batchSize: 2, sequenceLength: 3 });
    expect(e.activationsBytes).toBe(2304);
  });

  it('says whether it fits and what micro-batch does', () => {
    const lora = { kind: 'lora' as const, r: 8, targetModules: ['q_proj', 'v_proj'] as const };
    const big = estimateTrainingMemory({
      model: llama2_7b,
      method: { ...lora, targetModules: [...lora.targetModules] },
      batchSize: 32,
      sequenceLength: 512,
      weightBytes: 2,
      deviceBytes: 24 * GiB,
    });
    expect(big.fits).toBe(false);
    expect(big.maxBatchSizeThatFits).toBeGreaterThan(0);
    const small = estimateTrainingMemory({
      model: llama2_7b,
      method: { kind: 'lora', r: 8, targetModules: ['q_proj', 'v_proj'] },
      batchSize: big.maxBatchSizeThatFits!,
      sequenceLength: 512,
      weightBytes: 2,
      deviceBytes: 24 * GiB,
    });
    expect(small.fits).toBe(true);
    expect(big.advice).toContain('gradient accumulation');
    const full = estimateTrainingMemory({
      model: llama2_7b,
      method: { kind: 'full' },
      batchSize: 1,
      sequenceLength: 512,
      deviceBytes: 80 * GiB,
    });
    expect(full.fits).toBe(false);
    expect(full.advice).toContain('use LoRA');
  });
});
