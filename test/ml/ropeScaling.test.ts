/**
 * Rotary frequency scaling (rope_scaling / rope_parameters) against an independent double-precision
 * transcription of transformers' formulas, on Llama 3.1's own values; and a model that uses it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  initBackend,
  LlamaModel,
  loadModel,
  makeLlamaConfig,
  parseLlamaConfig,
  rotaryTables,
  saveModel,
} from '../../src/ml/index.js';
import { inverseFrequencies, parseRopeScaling } from '../../src/ml/ropeScaling.js';

beforeAll(async () => {
  await initBackend();
});

// Llama 3.1 8B: head_dim 128, rope_theta 500000.
const llama31 = {
  factor: 8,
  low_freq_factor: 1,
  high_freq_factor: 4,
  original_max_position_embeddings: 8192,
  rope_type: 'llama3',
};

/** transformers' _compute_llama3_parameters, read off its source, in doubles. */
function referenceLlama3(dim: number, theta: number): number[] {
  const {
    factor,
    low_freq_factor: low,
    high_freq_factor: high,
    original_max_position_embeddings: ctx,
  } = llama31;
  const out: number[] = [];
  for (let i = 0; i < dim; i += 2) {
    const freq = 1 / theta ** (i / dim);
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < ctx / high) out.push(freq);
    else if (wavelen > ctx / low) out.push(freq / factor);
    else {
      const smooth = (ctx / wavelen - low) / (high - low);
      out.push((1 - smooth) * (freq / factor) + smooth * freq);
    }
  }
  return out;
}

describe('rope scaling', () => {
  it('reads llama3 and linear scaling from rope_scaling or rope_parameters, and refuses the rest by name', () => {
    expect(parseRopeScaling(llama31, 'c')).toEqual({
      kind: 'llama3',
      factor: 8,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositionEmbeddings: 8192,
    });
    expect(parseRopeScaling({ type: 'linear', factor: 2 }, 'c')).toEqual({ kind: 'linear', factor: 2 });
    expect(parseRopeScaling({ rope_type: 'default', rope_theta: 10000 }, 'c')).toBeUndefined();
    expect(parseRopeScaling(null, 'c')).toBeUndefined();
    expect(() => parseRopeScaling({ rope_type: 'dynamic', factor: 2 }, 'c')).toThrow(
      /"dynamic" is not supported/,
    );
    expect(() => parseRopeScaling({ ...llama31, high_freq_factor: 0.5 }, 'c')).toThrow(
      /high_freq_factor must be greater than low_freq_factor/,
    );
    expect(() => parseRopeScaling({ rope_type: 'linear' }, 'c')).toThrow(/c \(rope_type "linear"\): factor/);

    const base = makeLlamaConfig({
      vocabSize: 32,
      hiddenSize: 16,
      numLayers: 1,
      numHeads: 2,
      intermediateSize: 32,
      maxPositionEmbeddings: 64,
    }).json;
    expect(parseLlamaConfig({ ...base, rope_scaling: llama31 }).ropeScaling?.kind).toBe('llama3');
    // transformers 5 keeps theta and scaling together in rope_parameters.
    const v5 = parseLlamaConfig({
      ...base,
      rope_theta: undefined,
      rope_parameters: { ...llama31, rope_theta: 500000 },
    });
    expect(v5.ropeTheta).toBe(500000);
    expect(v5.ropeScaling).toMatchObject({ kind: 'llama3', factor: 8 });
    expect(parseLlamaConfig(base).ropeScaling).toBeUndefined();
  });

  it('llama3 frequencies match transformers: high kept, low divided by factor, the band between smoothed', () => {
    const scaling = parseRopeScaling(llama31, 'c');
    const ours = inverseFrequencies(128, 500000, scaling);
    const reference = referenceLlama3(128, 500000);
    expect(ours).toHaveLength(64);
    for (let i = 0; i < 64; i++) {
      expect(Math.abs(ours[i]! - reference[i]!) / reference[i]!, `frequency ${i}`).toBeLessThan(1e-6);
    }
    const plain = inverseFrequencies(128, 500000);
    expect(ours[0]).toBe(plain[0]); // the highest frequency is kept
    expect(ours[63]).toBe(Math.fround(plain[63]! / 8)); // the lowest is divided by the factor
    const smoothed = reference.filter((r, i) => r !== plain[i] && Math.abs(r - plain[i]! / 8) > 1e-12 * r);
    expect(smoothed.length).toBeGreaterThan(0); // some lie in the interpolated band
    const linear = inverseFrequencies(8, 10000, { kind: 'linear', factor: 4 });
    expect([...linear]).toEqual([...inverseFrequencies(8, 10000)].map((v) => Math.fround(v / 4)));
  });

  it('a model with scaling uses it in its rotary tables and keeps it through save and load', () => {
    const init = {
      vocabSize: 40,
      hiddenSize: 16,
      numLayers: 1,
      numHeads: 2,
      intermediateSize: 32,
      maxPositionEmbeddings: 64,
    };
    const plainConfig = makeLlamaConfig(init);
    // Scaling that moves every frequency of a head_dim 8 model: original context 4, factor 16.
    const scaledJson = {
      ...plainConfig.json,
      rope_scaling: { ...llama31, factor: 16, original_max_position_embeddings: 4 },
    };
    const scaledConfig = parseLlamaConfig(scaledJson);
    const { cos } = rotaryTables(16, 8, 10000, scaledConfig.ropeScaling);
    const inverse = inverseFrequencies(8, 10000, scaledConfig.ropeScaling);
    expect(cos[5 * 8 + 1]).toBeCloseTo(Math.cos(Math.fround(5 * inverse[1]!)), 6);

    const plain = LlamaModel.random(plainConfig, 3);
    const scaled = LlamaModel.fromTensors(scaledConfig, plain.toTensors(), 'scaled');
    const ids = Array.from({ length: 12 }, (_, i) => (i * 7) % 40);
    const logits = (model: LlamaModel) => Float32Array.from(model.logits([ids])[0]!.flat());
    const a = logits(plain);
    const b = logits(scaled);
    // Position 0 has angle 0 either way; later positions differ.
    expect(Array.from(b.slice(0, 40))).toEqual(Array.from(a.slice(0, 40)));
    expect(Math.max(...b.slice(40).map((v, i) => Math.abs(v - a[40 + i]!)))).toBeGreaterThan(1e-4);

    const dir = mkdtempSync(join(tmpdir(), 'rope-'));
    saveModel(scaled, dir);
    const loaded = loadModel(dir);
    expect(loaded.config.ropeScaling).toEqual(scaledConfig.ropeScaling);
    expect(Array.from(logits(loaded))).toEqual(Array.from(b));
    for (const model of [plain, scaled, loaded]) model.dispose();
  });
});
