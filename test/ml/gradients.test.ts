import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  causalLmLoss,
  initBackend,
  LlamaModel,
  LoraAdapter,
  makeBatch,
  makeLlamaConfig,
  peftKey,
  type HostTensor,
  type LossOptions,
  type TrainingExample,
} from '../../src/ml/index.js';
import { referenceLogits, type RefConfig } from './referenceLlama.js';

const init = {
  vocabSize: 11,
  hiddenSize: 8,
  intermediateSize: 12,
  numLayers: 1,
  numHeads: 2,
  numKvHeads: 1,
  rmsNormEps: 1e-5,
};
const ref: RefConfig = {
  vocab: 11,
  hidden: 8,
  inter: 12,
  layers: 1,
  heads: 2,
  kvHeads: 1,
  eps: 1e-5,
  theta: 10000,
  tied: false,
};
const examples: TrainingExample[] = [
  { ids: [1, 4, 7, 2, 9, 3], lossMask: [0, 0, 1, 1, 1, 1], entityMask: [0, 0, 0, 1, 1, 0] },
  { ids: [1, 5, 6, 10, 8, 0], lossMask: [0, 0, 0, 1, 1, 1], entityMask: [0, 0, 0, 0, 1, 0] },
];
const lossOptions: LossOptions = { kind: 'entity-weighted', baseWeight: 0.7, entityWeight: 0.3 };

/** The same loss in float64 from the plain-JS reference forward pass. */
function referenceLoss(weights: Map<string, HostTensor>, tied = false): number {
  let base = 0;
  let baseN = 0;
  let entity = 0;
  let entityN = 0;
  for (const ex of examples) {
    const logits = referenceLogits({ ...ref, tied }, weights, ex.ids.slice(0, -1));
    for (let t = 1; t < ex.ids.length; t++) {
      if (!ex.lossMask[t]) continue;
      const row = logits[t - 1]!;
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
      const ce = lse - row[ex.ids[t]!]!;
      base += ce;
      baseN++;
      if (ex.entityMask?.[t]) {
        entity += ce;
        entityN++;
      }
    }
  }
  return 0.7 * (base / baseN) + 0.3 * (entity / entityN);
}

/** dLoss/dW from tfjs autodiff, keyed by variable key, in the stored layout. */
function autodiff(model: LlamaModel): Map<string, Float32Array> {
  const variables = model.trainableVariables();
  const batch = makeBatch(examples);
  const byName = new Map([...variables].map(([k, v]) => [v.name, k] as const));
  const { value, grads } = tf.variableGrads(
    () => causalLmLoss(model.forward(batch.inputs).logits, batch, lossOptions).total,
    [...variables.values()],
  );
  const out = new Map<string, Float32Array>();
  for (const [name, g] of Object.entries(grads)) out.set(byName.get(name)!, g.dataSync() as Float32Array);
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

function finiteDifference(
  weights: Map<string, HostTensor>,
  name: string,
  index: number,
  h = 1e-4,
  tied = false,
): number {
  const original = weights.get(name)!;
  const shift = (delta: number) => {
    const data = Float64Array.from(original.data) as unknown as Float32Array;
    data[index]! += delta;
    return referenceLoss(new Map(weights).set(name, { shape: original.shape, data }), tied);
  };
  return (shift(h) - shift(-h)) / (2 * h);
}

beforeAll(async () => {
  await initBackend();
});

describe('gradients against finite differences of an independent float64 forward pass', () => {
  it('full fine-tuning: embedding, projections, norms and head', () => {
    const model = LlamaModel.random(makeLlamaConfig(init), 21, 0.4);
    model.setBaseTrainable(true);
    const weights = model.toTensors();
    const grads = autodiff(model);
    // [name, HF row, HF column or -1 for 1-D]; linear weights are stored transposed ([in, out]).
    const probes: [string, number, number][] = [
      ['model.embed_tokens.weight', 4, 3],
      ['model.embed_tokens.weight', 7, 0],
      ['model.layers.0.self_attn.q_proj.weight', 5, 2],
      ['model.layers.0.self_attn.k_proj.weight', 1, 6],
      ['model.layers.0.self_attn.v_proj.weight', 3, 3],
      ['model.layers.0.self_attn.o_proj.weight', 0, 7],
      ['model.layers.0.mlp.gate_proj.weight', 9, 1],
      ['model.layers.0.mlp.up_proj.weight', 2, 5],
      ['model.layers.0.mlp.down_proj.weight', 6, 11],
      ['model.layers.0.input_layernorm.weight', 3, -1],
      ['model.layers.0.post_attention_layernorm.weight', 6, -1],
      ['model.norm.weight', 2, -1],
      ['lm_head.weight', 9, 4],
    ];
    for (const [name, row, col] of probes) {
      const shape = weights.get(name)!.shape;
      const hfIndex = col < 0 ? row : row * shape[1]! + col;
      const linear = name.endsWith('_proj.weight') || name === 'lm_head.weight';
      const storedIndex = col < 0 || !linear ? hfIndex : col * shape[0]! + row;
      const expected = finiteDifference(weights, name, hfIndex);
      const actual = grads.get(name)![storedIndex]!;
      expect(
        Math.abs(actual - expected),
        `${name}[${row},${col}] autodiff ${actual} vs FD ${expected}`,
      ).toBeLessThan(2e-4 + 2e-3 * Math.abs(expected));
    }
    model.dispose();
  });

  it('tied embeddings: the embedding gradient sums its input and output uses', () => {
    const model = LlamaModel.random(makeLlamaConfig({ ...init, tieWordEmbeddings: true }), 23, 0.4);
    model.setBaseTrainable(true);
    const weights = model.toTensors();
    const grads = autodiff(model);
    for (const [row, col] of [
      [4, 3],
      [10, 6],
      [0, 1],
    ] as const) {
      const expected = finiteDifference(weights, 'model.embed_tokens.weight', row * 8 + col, 1e-4, true);
      const actual = grads.get('model.embed_tokens.weight')![row * 8 + col]!;
      expect(Math.abs(actual - expected), `embed[${row},${col}]`).toBeLessThan(
        2e-4 + 2e-3 * Math.abs(expected),
      );
    }
    model.dispose();
  });

  it('LoRA: gradients of A and B through the merged weight W + (alpha/r) B A', () => {
    const config = makeLlamaConfig(init);
    const model = LlamaModel.random(config, 22, 0.4);
    const adapter = LoraAdapter.create(
      config,
      { r: 2, alpha: 4, dropout: 0, targetModules: ['q_proj', 'down_proj'] },
      3,
    );
    // B starts at zero; give it values so the gradient of A is not zero.
    for (const [key, variable] of adapter.variables()) {
      if (key.includes('lora_B')) variable.assign(tf.randomUniform(variable.shape, -0.5, 0.5, 'float32', 9));
    }
    model.lora = adapter;
    const grads = autodiff(model);
    const peft = adapter.toPeftTensors();
    const base = model.toTensors();
    const lossWith = (key: string, index: number, delta: number) => {
      const merged = new Map(base);
      for (const module of ['q_proj', 'down_proj'] as const) {
        const name = `model.layers.0.${module === 'q_proj' ? 'self_attn' : 'mlp'}.${module}.weight`;
        const a = Float64Array.from(peft.get(peftKey(0, module, 'A'))!.data);
        const b = Float64Array.from(peft.get(peftKey(0, module, 'B'))!.data);
        if (key === peftKey(0, module, 'A')) a[index]! += delta;
        if (key === peftKey(0, module, 'B')) b[index]! += delta;
        const [out, inp] = base.get(name)!.shape as [number, number];
        const w = Float64Array.from(base.get(name)!.data);
        for (let o = 0; o < out; o++)
          for (let i = 0; i < inp; i++)
            for (let k = 0; k < 2; k++) w[o * inp + i]! += 2 * b[o * 2 + k]! * a[k * inp + i]!;
        merged.set(name, { shape: [out, inp], data: w as unknown as Float32Array });
      }
      return referenceLoss(merged);
    };
    // PEFT layout index -> stored (transposed) index: A [r, in] stored [in, r]; B [out, r] stored [r, out].
    const probes: [string, number, number, number][] = [
      [peftKey(0, 'q_proj', 'A'), 1, 5, 8],
      [peftKey(0, 'q_proj', 'B'), 3, 0, 2],
      [peftKey(0, 'down_proj', 'A'), 0, 11, 12],
      [peftKey(0, 'down_proj', 'B'), 7, 1, 2],
    ];
    for (const [key, row, col, cols] of probes) {
      const rows = peft.get(key)!.shape[0]!;
      const expected =
        (lossWith(key, row * cols + col, 1e-4) - lossWith(key, row * cols + col, -1e-4)) / 2e-4;
      const actual = grads.get(key)![col * rows + row]!;
      expect(Math.abs(actual - expected), `${key}[${row},${col}]`).toBeLessThan(
        2e-4 + 2e-3 * Math.abs(expected),
      );
    }
    expect(grads.has('model.layers.0.self_attn.q_proj.weight')).toBe(false);
    model.dispose();
  });
});
