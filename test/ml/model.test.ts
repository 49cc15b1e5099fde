import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  initBackend,
  LlamaModel,
  loadModel,
  makeLlamaConfig,
  parseLlamaConfig,
  saveModel,
  type LlamaConfigInit,
} from '../../src/ml/index.js';
import { referenceLogits } from './referenceLlama.js';

const base: LlamaConfigInit = {
  vocabSize: 37,
  hiddenSize: 16,
  intermediateSize: 24,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  maxPositionEmbeddings: 64,
};

function maxAbsDiff(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((row, i) => row.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i]![j]!)))));
  return m;
}

let dir: string;
beforeAll(async () => {
  await initBackend();
  dir = mkdtempSync(join(tmpdir(), 'tl-model-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('LlamaModel forward', () => {
  for (const variant of [
    { name: 'grouped-query, untied', init: base },
    { name: 'multi-head, tied', init: { ...base, numKvHeads: 4, tieWordEmbeddings: true } },
  ]) {
    it(`matches a plain-JS reference forward pass (${variant.name})`, () => {
      const config = makeLlamaConfig(variant.init);
      // Larger weights than the 0.02 init make attention and the norms do visible work.
      const model = LlamaModel.random(config, 7, 0.3);
      const ids = [3, 17, 0, 36, 5, 5, 12];
      const ours = model.logits([ids])[0]!;
      const ref = referenceLogits(
        {
          vocab: 37,
          hidden: 16,
          inter: 24,
          layers: 2,
          heads: 4,
          kvHeads: config.numKvHeads,
          eps: 1e-5,
          theta: 10000,
          tied: config.tieWordEmbeddings,
        },
        model.toTensors(),
        ids,
      );
      const scale = Math.max(...ref.flat().map(Math.abs));
      expect(scale).toBeGreaterThan(0.1);
      expect(maxAbsDiff(ours, ref)).toBeLessThan(1e-4 * Math.max(1, scale));
      model.dispose();
    });
  }

  it('gives the same logits for each row of a batch as for that row alone', () => {
    const model = LlamaModel.random(makeLlamaConfig(base), 3, 0.3);
    const a = [1, 2, 3, 4];
    const b = [9, 8, 7, 6];
    const batch = model.logits([a, b]);
    expect(maxAbsDiff(batch[1]!, model.logits([b])[0]!)).toBeLessThan(1e-5);
    expect(maxAbsDiff(batch[0]!, model.logits([a])[0]!)).toBeLessThan(1e-5);
    model.dispose();
  });

  it('grouped-query attention with as many kv heads as heads equals multi-head attention with repeated kv weights', () => {
    // A GQA model (2 kv heads) and an MHA model whose k/v rows repeat each kv head for its query heads.
    const gqa = LlamaModel.random(makeLlamaConfig(base), 11, 0.3);
    const tensors = gqa.toTensors();
    const d = 4;
    for (let l = 0; l < 2; l++) {
      for (const m of ['k_proj', 'v_proj']) {
        const name = `model.layers.${l}.self_attn.${m}.weight`;
        const w = tensors.get(name)!;
        const out = new Float32Array(4 * d * 16);
        for (let h = 0; h < 4; h++)
          out.set(w.data.subarray(Math.floor(h / 2) * d * 16, (Math.floor(h / 2) + 1) * d * 16), h * d * 16);
        tensors.set(name, { shape: [16, 16], data: out });
      }
    }
    const mha = LlamaModel.fromTensors(makeLlamaConfig({ ...base, numKvHeads: 4 }), tensors);
    const ids = [4, 8, 15, 16, 23, 35];
    expect(maxAbsDiff(gqa.logits([ids])[0]!, mha.logits([ids])[0]!)).toBeLessThan(1e-5);
    gqa.dispose();
    mha.dispose();
  });
});

describe('checkpoints', () => {
  it('saved and loaded again gives bit-identical logits (single file and sharded)', () => {
    const model = LlamaModel.random(makeLlamaConfig(base), 5, 0.3);
    const ids = [[2, 4, 6, 8, 10]];
    const before = model.logits(ids);
    saveModel(model, join(dir, 'single'));
    saveModel(model, join(dir, 'sharded'), { maxShardBytes: 8000 });
    for (const sub of ['single', 'sharded']) {
      const loaded = loadModel(join(dir, sub));
      expect(loaded.logits(ids)).toEqual(before);
      loaded.dispose();
    }
    model.dispose();
  });

  it('names a missing tensor, a wrong shape and an unsupported architecture', () => {
    const config = makeLlamaConfig(base);
    const model = LlamaModel.random(config, 1);
    const tensors = model.toTensors();
    tensors.delete('model.layers.1.mlp.up_proj.weight');
    expect(() => LlamaModel.fromTensors(config, tensors, 'ckpt')).toThrow(
      /model\.layers\.1\.mlp\.up_proj\.weight" is missing/,
    );
    const wrong = model.toTensors();
    wrong.set('model.norm.weight', { shape: [15], data: new Float32Array(15) });
    expect(() => LlamaModel.fromTensors(config, wrong, 'ckpt')).toThrow(
      /model\.norm\.weight" has shape \[15\].*\[16\]/,
    );
    expect(() => makeLlamaConfig({ ...base, numKvHeads: 3 })).toThrow(/multiple of num_key_value_heads/);
    const json = { ...config.json };
    expect(() =>
      parseLlamaConfig(
        { ...json, architectures: ['MistralForCausalLM'], model_type: 'mistral' },
        'm/config.json',
      ),
    ).toThrow(/m\/config\.json: unsupported architecture MistralForCausalLM/);
    expect(() => parseLlamaConfig({ ...json, rope_scaling: { rope_type: 'llama3', factor: 8 } })).toThrow(
      /rope_scaling \(rope_type "llama3"\): low_freq_factor/,
    );
    expect(() => parseLlamaConfig({ ...json, rope_scaling: { rope_type: 'yarn', factor: 4 } })).toThrow(
      /rope_type "yarn" is not supported; supported are default, linear and llama3/,
    );
    expect(() => parseLlamaConfig({ ...json, hidden_size: undefined })).toThrow(/hidden_size/);
    model.dispose();
  });

  it('does not leak tensors across forward passes', () => {
    const model = LlamaModel.random(makeLlamaConfig(base), 2);
    model.logits([[1, 2, 3]]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) model.logits([[1, 2, 3]]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
