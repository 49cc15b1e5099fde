import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LORA_PARAMETERS } from '../../src/domain/index.js';
import {
  DEFAULT_LORA,
  initBackend,
  LlamaModel,
  LoraAdapter,
  makeLlamaConfig,
  peftKey,
} from '../../src/ml/index.js';

const config = makeLlamaConfig({
  vocabSize: 29,
  hiddenSize: 16,
  intermediateSize: 20,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
});
const ids = [[3, 1, 4, 1, 5, 9, 2, 6]];
let dir: string;

beforeAll(async () => {
  await initBackend();
  dir = mkdtempSync(join(tmpdir(), 'tl-lora-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function randomizeB(adapter: LoraAdapter, seed: number): void {
  for (const [key, variable] of adapter.variables()) {
    if (key.includes('lora_B')) variable.assign(tf.randomUniform(variable.shape, -0.3, 0.3, 'float32', seed));
  }
}

describe('LoRA', () => {
  it("defaults to the founding guide's r=16, alpha=32 on q_proj/v_proj, as a training request does", () => {
    const { kind: _kind, ...requestDefault } = DEFAULT_LORA_PARAMETERS;
    expect(DEFAULT_LORA).toEqual(requestDefault);
    expect(DEFAULT_LORA).toMatchObject({
      r: 16,
      alpha: 32,
      dropout: 0.05,
      targetModules: ['q_proj', 'v_proj'],
    });
  });

  it('with B = 0 gives exactly the base logits', () => {
    const model = LlamaModel.random(config, 1, 0.3);
    const base = model.logits(ids);
    model.lora = LoraAdapter.create(
      config,
      {
        r: 4,
        alpha: 8,
        dropout: 0.1,
        targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
      },
      2,
    );
    expect(model.logits(ids)).toEqual(base);
    model.dispose();
  });

  it('initialises A kaiming-uniform within +-1/sqrt(in) and B at zero, in PEFT shapes', () => {
    const adapter = LoraAdapter.create(
      config,
      { r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'down_proj'] },
      5,
    );
    const t = adapter.toPeftTensors();
    const a = t.get(peftKey(1, 'down_proj', 'A'))!;
    expect(a.shape).toEqual([4, 20]);
    const bound = 1 / Math.sqrt(20);
    expect(Math.max(...a.data.map(Math.abs))).toBeLessThanOrEqual(bound);
    // Spread over the interval: the largest value is near the bound.
    expect(Math.max(...a.data.map(Math.abs))).toBeGreaterThan(0.8 * bound);
    expect(t.get(peftKey(0, 'q_proj', 'B'))!.shape).toEqual([16, 4]);
    expect([...t.get(peftKey(0, 'q_proj', 'B'))!.data].every((v) => v === 0)).toBe(true);
    expect([...t.keys()]).toContain('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
    expect([...t.keys()]).toContain('base_model.model.model.layers.1.mlp.down_proj.lora_B.weight');
    expect(t.size).toBe(2 * 2 * 2);
    adapter.dispose();
  });

  it('merged weights give the logits of base plus adapter, and equal W + (alpha/r) B A', () => {
    const model = LlamaModel.random(config, 3, 0.3);
    const adapter = LoraAdapter.create(
      config,
      { r: 2, alpha: 6, dropout: 0, targetModules: ['v_proj', 'up_proj'] },
      4,
    );
    randomizeB(adapter, 8);
    model.lora = adapter;
    const withAdapter = model.logits(ids);
    const baseLogits = (() => {
      model.lora = undefined;
      const l = model.logits(ids);
      model.lora = adapter;
      return l;
    })();
    const peft = adapter.toPeftTensors();
    const w = model.weight('model.layers.1.self_attn.v_proj.weight');
    adapter.mergeInto(model);
    expect(model.lora).toBeUndefined();
    const merged = model.logits(ids);
    const diff = Math.max(
      ...merged[0]!.flatMap((row, i) => row.map((v, j) => Math.abs(v - withAdapter[0]![i]![j]!))),
    );
    expect(diff).toBeLessThan(1e-5);
    const change = Math.max(
      ...merged[0]!.flatMap((row, i) => row.map((v, j) => Math.abs(v - baseLogits[0]![i]![j]!))),
    );
    expect(change).toBeGreaterThan(1e-3);
    // One merged element by hand: W[o][i] + 3 * sum_k B[o][k] A[k][i]
    const a = peft.get(peftKey(1, 'v_proj', 'A'))!.data;
    const b = peft.get(peftKey(1, 'v_proj', 'B'))!.data;
    const after = model.weight('model.layers.1.self_attn.v_proj.weight');
    const [o, i] = [5, 11];
    const expected = w.data[o * 16 + i]! + 3 * (b[o * 2]! * a[i]! + b[o * 2 + 1]! * a[16 + i]!);
    expect(after.data[o * 16 + i]).toBeCloseTo(expected, 6);
    model.dispose();
    adapter.dispose();
  });

  it('exports and imports the PEFT format', () => {
    const model = LlamaModel.random(config, 6, 0.3);
    const adapter = LoraAdapter.create(
      config,
      { r: 4, alpha: 16, dropout: 0.05, targetModules: ['q_proj', 'v_proj'], baseModelNameOrPath: 'tiny' },
      7,
    );
    randomizeB(adapter, 2);
    adapter.save(join(dir, 'adapter'));
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter', 'adapter_config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(cfg).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: 4,
      lora_alpha: 16,
      lora_dropout: 0.05,
      target_modules: ['q_proj', 'v_proj'],
      base_model_name_or_path: 'tiny',
    });
    model.lora = adapter;
    const before = model.logits(ids);
    const loaded = LoraAdapter.load(join(dir, 'adapter'), config);
    model.lora = loaded;
    expect(model.logits(ids)).toEqual(before);
    expect(loaded.toPeftTensors()).toEqual(adapter.toPeftTensors());
    model.dispose();
    adapter.dispose();
  });

  it('rejects an adapter for other shapes with the tensor named', () => {
    const adapter = LoraAdapter.create(config, { r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj'] }, 1);
    adapter.save(join(dir, 'mismatch'));
    const other = makeLlamaConfig({
      vocabSize: 29,
      hiddenSize: 8,
      intermediateSize: 20,
      numLayers: 2,
      numHeads: 2,
    });
    expect(() => LoraAdapter.load(join(dir, 'mismatch'), other)).toThrow(
      /q_proj\.lora_A\.weight" has shape \[4,16\], expected \[4,8\]/,
    );
    adapter.dispose();
  });
});
