import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  initBackend,
  LlamaModel,
  LoraAdapter,
  peftKey,
  Rng,
  type LoraOptions,
} from '../../src/ml/index.js';
import { LINEAR_MODULES } from '../../src/ml/linearModules.js';
import { microConfig } from './microConfig.js';

// LoRA's rules one by one on the micro model (hidden 16, MLP 24, k/v 8 wide, 2 layers): the options it
// takes, how A is drawn, what the delta and its dropout compute, the PEFT files it writes and the ones it
// refuses to read.

let dir: string;
beforeAll(async () => {
  await initBackend();
  dir = mkdtempSync(join(tmpdir(), 'tl-lora-rules-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const options = (overrides: Partial<LoraOptions> = {}): LoraOptions => ({
  r: 2,
  alpha: 6,
  dropout: 0,
  targetModules: ['q_proj', 'down_proj'],
  ...overrides,
});

/** A [rows, cols] matrix of a PEFT tensor (row-major). */
const at = (t: { data: Float32Array }, cols: number, row: number, col: number) => t.data[row * cols + col]!;

describe('LoRA options', () => {
  it.each([
    [{ r: 0 }, /^invalid LoRA options: r: /],
    [{ r: 1.5 }, /^invalid LoRA options: r: /],
    [{ alpha: 0 }, /^invalid LoRA options: alpha: /],
    [{ dropout: -0.1 }, /^invalid LoRA options: dropout: /],
    [{ dropout: 1.01 }, /^invalid LoRA options: dropout: /],
    [{ targetModules: [] }, /^invalid LoRA options: targetModules: /],
    [{ targetModules: ['q_proj', 'lm_head'] }, /^invalid LoRA options: targetModules\.1: /],
    [{ r: 0, alpha: -1 }, /^invalid LoRA options: r: .+; alpha: /],
  ] as [Partial<LoraOptions>, RegExp][])('refuses %j', (overrides, message) => {
    expect(() => LoraAdapter.create(microConfig, options(overrides))).toThrow(message);
  });

  it('accepts dropout 0 and 1, keeps each target module once, and scales by alpha / r', () => {
    for (const dropout of [0, 1]) LoraAdapter.create(microConfig, options({ dropout })).dispose();
    const adapter = LoraAdapter.create(
      microConfig,
      options({ r: 4, alpha: 6, targetModules: ['v_proj', 'v_proj'] }),
    );
    expect(adapter.options.targetModules).toEqual(['v_proj']);
    expect(adapter.scale).toBe(1.5);
    expect(adapter.variables().size).toBe(2 * 2);
    adapter.dispose();
  });
});

describe('a fresh adapter', () => {
  it("draws A from the seed in PEFT's [r, in] order, layer by layer and module by module, within 1/sqrt(in)", () => {
    const adapter = LoraAdapter.create(
      microConfig,
      options({ r: 2, targetModules: ['q_proj', 'down_proj'] }),
      9,
    );
    const tensors = adapter.toPeftTensors();
    const rng = new Rng(9);
    for (let layer = 0; layer < 2; layer++) {
      for (const [module, inp] of [
        ['q_proj', 16],
        ['down_proj', 24],
      ] as const) {
        const a = tensors.get(peftKey(layer, module, 'A'))!;
        expect(a.shape).toEqual([2, inp]);
        const bound = 1 / Math.sqrt(inp);
        const drawn = Float32Array.from({ length: 2 * inp }, () => rng.uniform(-bound, bound));
        expect(a.data).toEqual(drawn);
      }
    }
    expect(tensors.get(peftKey(1, 'down_proj', 'B'))!.shape).toEqual([16, 2]);
    expect(tensors.get(peftKey(0, 'q_proj', 'B'))!.shape).toEqual([16, 2]);
    adapter.dispose();
  });

  it('holds no tensor after it is disposed', () => {
    const before = tf.memory().numTensors;
    const adapter = LoraAdapter.create(microConfig, options());
    expect(tf.memory().numTensors).toBe(before + 8);
    adapter.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('lists its variables, A and B of every layer and module, and its PEFT tensors in key order', () => {
    const adapter = LoraAdapter.create(microConfig, options({ targetModules: ['v_proj', 'gate_proj'] }));
    const keys = [0, 1].flatMap((layer) =>
      (['v_proj', 'gate_proj'] as const).flatMap((m) => [peftKey(layer, m, 'A'), peftKey(layer, m, 'B')]),
    );
    expect([...adapter.variables().keys()].sort()).toEqual([...keys].sort());
    expect([...adapter.toPeftTensors().keys()]).toEqual([...keys].sort());
    expect(adapter.toPeftTensors().get(peftKey(0, 'v_proj', 'B'))!.shape).toEqual([8, 2]);
    expect(adapter.toPeftTensors().get(peftKey(0, 'gate_proj', 'B'))!.shape).toEqual([24, 2]);
    adapter.dispose();
    expect(adapter.variables().size).toBe(0);
  });

  it('randomizeB fills every B within the range from its seed and leaves A alone', () => {
    const adapter = LoraAdapter.create(microConfig, options(), 1);
    const before = adapter.toPeftTensors();
    adapter.randomizeB(4, 0.25);
    const after = adapter.toPeftTensors();
    const again = LoraAdapter.create(microConfig, options(), 1);
    again.randomizeB(4, 0.25);
    expect(again.toPeftTensors()).toEqual(after);
    for (const [key, tensor] of after) {
      if (key.includes('lora_A')) expect(tensor).toEqual(before.get(key));
      else {
        expect(Math.max(...tensor.data.map(Math.abs))).toBeLessThanOrEqual(0.25);
        expect(Math.max(...tensor.data.map(Math.abs))).toBeGreaterThan(0.15);
        expect(new Set(tensor.data).size).toBe(tensor.data.length);
      }
    }
    adapter.dispose();
    again.dispose();
  });
});

describe('the delta', () => {
  let x: tf.Tensor2D;
  beforeAll(() => {
    x = tf.tensor2d(
      Array.from({ length: 3 * 16 }, (_, i) => Math.sin(i + 1)),
      [3, 16],
    );
  });

  /** scale * B A x by hand from the PEFT tensors, row by row. */
  function byHand(adapter: LoraAdapter, input: number[][], layer: number): number[][] {
    const t = adapter.toPeftTensors();
    const a = t.get(peftKey(layer, 'q_proj', 'A'))!;
    const b = t.get(peftKey(layer, 'q_proj', 'B'))!;
    const r = adapter.options.r;
    return input.map((row) =>
      Array.from({ length: 16 }, (_, o) => {
        let sum = 0;
        for (let k = 0; k < r; k++) {
          let ax = 0;
          for (let i = 0; i < 16; i++) ax += at(a, 16, k, i) * row[i]!;
          sum += at(b, r, o, k) * ax;
        }
        return adapter.scale * sum;
      }),
    );
  }

  const close = (actual: number[][], expected: number[][]) => {
    expect(actual.length).toBe(expected.length);
    actual.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i]![j]!, 4)));
  };

  it('is scale * B A x for a targeted projection and undefined for another', () => {
    const adapter = LoraAdapter.create(
      microConfig,
      options({ r: 2, alpha: 6, targetModules: ['q_proj'] }),
      3,
    );
    adapter.randomizeB(5, 0.5);
    const delta = adapter.delta(1, 'q_proj', x, false, undefined)!;
    close(delta.arraySync(), byHand(adapter, x.arraySync(), 1));
    expect(adapter.delta(1, 'v_proj', x, false, undefined)).toBeUndefined();
    adapter.dispose();
  });

  it('applies inverted dropout in training only, with the mask drawn from the seeded generator', () => {
    const rate = 0.5;
    const adapter = LoraAdapter.create(microConfig, options({ dropout: rate, targetModules: ['q_proj'] }), 3);
    adapter.randomizeB(5, 0.5);
    const plain = byHand(adapter, x.arraySync(), 0);
    // Not training: no dropout, no generator needed.
    close(adapter.delta(0, 'q_proj', x, false, undefined)!.arraySync(), plain);
    expect(() => adapter.delta(0, 'q_proj', x, true, undefined)).toThrow(
      'LoRA dropout in training needs a seeded Rng (ForwardOptions.rng)',
    );
    const mask = new Rng(new Rng(11).seed()).fillUniform(new Float32Array(3 * 16));
    expect(mask.some((u) => u < rate) && mask.some((u) => u >= rate)).toBe(true);
    const dropped = x
      .arraySync()
      .map((row, i) => row.map((v, j) => (mask[i * 16 + j]! >= rate ? v / (1 - rate) : 0)));
    close(adapter.delta(0, 'q_proj', x, true, new Rng(11))!.arraySync(), byHand(adapter, dropped, 0));
    adapter.dispose();
  });

  it('needs no generator in training when dropout is 0', () => {
    const adapter = LoraAdapter.create(microConfig, options({ dropout: 0, targetModules: ['q_proj'] }), 3);
    adapter.randomizeB(5, 0.5);
    close(adapter.delta(0, 'q_proj', x, true, undefined)!.arraySync(), byHand(adapter, x.arraySync(), 0));
    adapter.dispose();
  });
});

describe('merging', () => {
  it('adds scale * B A to every targeted weight of every layer and detaches only itself', () => {
    const model = LlamaModel.random(microConfig, 2, 0.3);
    const adapter = LoraAdapter.create(
      microConfig,
      options({ r: 2, alpha: 6, targetModules: ['q_proj', 'down_proj'] }),
      4,
    );
    adapter.randomizeB(6, 0.5);
    const other = LoraAdapter.create(microConfig, options(), 7);
    model.lora = other;
    const t = adapter.toPeftTensors();
    const names = [0, 1].flatMap((layer) => [
      [layer, 'q_proj', `model.layers.${layer}.self_attn.q_proj.weight`, 16, 16],
      [layer, 'down_proj', `model.layers.${layer}.mlp.down_proj.weight`, 16, 24],
    ]) as [number, 'q_proj' | 'down_proj', string, number, number][];
    const before = new Map(names.map(([, , name]) => [name, Float32Array.from(model.weight(name).data)]));
    const untouched = Float32Array.from(model.weight('model.layers.0.self_attn.v_proj.weight').data);
    adapter.mergeInto(model);
    expect(model.lora).toBe(other);
    for (const [layer, module, name, out, inp] of names) {
      const a = t.get(peftKey(layer, module, 'A'))!;
      const b = t.get(peftKey(layer, module, 'B'))!;
      const w = model.weight(name).data;
      for (const [o, i] of [
        [0, 0],
        [out - 1, inp - 1],
        [3, 7],
      ] as const) {
        const expected =
          before.get(name)![o * inp + i]! +
          3 * (at(b, 2, o, 0) * at(a, inp, 0, i) + at(b, 2, o, 1) * at(a, inp, 1, i));
        expect(w[o * inp + i], `${name}[${o}][${i}]`).toBeCloseTo(expected, 5);
      }
    }
    expect(model.weight('model.layers.0.self_attn.v_proj.weight').data).toEqual(untouched);
    model.dispose();
    adapter.dispose();
    other.dispose();
  });
});

describe('the PEFT files', () => {
  function saved(name: string, overrides: Partial<LoraOptions> = {}): string {
    const adapter = LoraAdapter.create(microConfig, options(overrides), 5);
    adapter.randomizeB(8, 0.5);
    const path = join(dir, name);
    adapter.save(path);
    adapter.dispose();
    return path;
  }
  const configOf = (path: string) =>
    JSON.parse(readFileSync(join(path, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  const withConfig = (path: string, changes: Record<string, unknown>) =>
    writeFileSync(join(path, 'adapter_config.json'), JSON.stringify({ ...configOf(path), ...changes }));

  it('writes the whole adapter_config.json PEFT writes, two-space indented, and F32 tensors marked pt', () => {
    const path = saved('written', { r: 2, alpha: 6, dropout: 0.1 });
    const text = readFileSync(join(path, 'adapter_config.json'), 'utf8');
    expect(text.startsWith('{\n  "peft_type": "LORA",\n')).toBe(true);
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toStrictEqual({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      base_model_name_or_path: null,
      r: 2,
      lora_alpha: 6,
      lora_dropout: 0.1,
      target_modules: ['q_proj', 'down_proj'],
      bias: 'none',
      fan_in_fan_out: false,
      inference_mode: true,
      init_lora_weights: true,
      layers_to_transform: null,
      layers_pattern: null,
      modules_to_save: null,
      revision: null,
    });
    const { metadata, tensors } = decodeSafetensors(readFileSync(join(path, 'adapter_model.safetensors')));
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.size).toBe(8);
  });

  it('reads what PEFT may write differently: one module as a string, .default keys, no dropout, null patterns', () => {
    const path = saved('variants', { targetModules: ['q_proj'], baseModelNameOrPath: 'tiny' });
    const original = LoraAdapter.load(path, microConfig);
    expect(original.options.baseModelNameOrPath).toBe('tiny');
    const config = configOf(path);
    delete config.lora_dropout;
    writeFileSync(
      join(path, 'adapter_config.json'),
      JSON.stringify({
        ...config,
        target_modules: 'q_proj',
        base_model_name_or_path: null,
        rank_pattern: null,
        alpha_pattern: null,
      }),
    );
    const weights = join(path, 'adapter_model.safetensors');
    const { tensors } = decodeSafetensors(readFileSync(weights));
    writeFileSync(
      weights,
      encodeSafetensors(
        new Map([...tensors].map(([key, t]) => [key.replace(/\.weight$/, '.default.weight'), t])),
      ),
    );
    const loaded = LoraAdapter.load(path, microConfig);
    expect(loaded.options).toStrictEqual({
      r: 2,
      alpha: 6,
      dropout: 0,
      targetModules: ['q_proj'],
      baseModelNameOrPath: undefined,
    });
    expect(loaded.toPeftTensors()).toEqual(original.toPeftTensors());
    loaded.dispose();
    original.dispose();
  });

  it('refuses a directory without its config or its safetensors, saying which', () => {
    const empty = join(dir, 'empty');
    expect(() => LoraAdapter.load(empty, microConfig)).toThrow(
      `${empty}: adapter_config.json is missing; is this a PEFT adapter directory?`,
    );
    const path = saved('no-weights');
    rmSync(join(path, 'adapter_model.safetensors'));
    expect(existsSync(join(path, 'adapter_config.json'))).toBe(true);
    expect(() => LoraAdapter.load(path, microConfig)).toThrow(
      `${path}: adapter_model.safetensors is missing (adapter_model.bin pickles are not read; re-save with safe_serialization)`,
    );
  });

  it.each([
    [{ r: 0 }, ': r: '],
    [{ peft_type: 'IA3' }, ': peft_type IA3 is not supported; only LORA'],
    ...(['use_dora', 'use_rslora', 'fan_in_fan_out', 'lora_bias'] as const).map(
      (flag) =>
        [
          { [flag]: true },
          ': use_dora, use_rslora, fan_in_fan_out, lora_bias and bias other than "none" are not supported',
        ] as [Record<string, unknown>, string],
    ),
    [
      { bias: 'all' },
      ': use_dora, use_rslora, fan_in_fan_out, lora_bias and bias other than "none" are not supported',
    ],
    [
      { rank_pattern: { q_proj: 4 } },
      ': per-module rank_pattern/alpha_pattern are not supported; use one r and lora_alpha',
    ],
    [
      { alpha_pattern: { q_proj: 4 } },
      ': per-module rank_pattern/alpha_pattern are not supported; use one r and lora_alpha',
    ],
    [
      { layers_to_transform: [0] },
      ': layers_to_transform is not supported; the adapter must cover every layer',
    ],
    [
      { target_modules: ['q_proj', 'lm_head', 'embed'] },
      `: target_modules lm_head, embed are not LLaMA projections (${LINEAR_MODULES.join(', ')})`,
    ],
  ] as [Record<string, unknown>, string][])('refuses the config %j, naming the file', (changes, message) => {
    const path = saved('refused');
    withConfig(path, changes);
    const tensorsBefore = tf.memory().numTensors;
    expect(() => LoraAdapter.load(path, microConfig)).toThrow(
      `${join(path, 'adapter_config.json')}${message}`,
    );
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('reads a minimal config, the keys PEFT may leave out taking their defaults', () => {
    const path = saved('minimal', { targetModules: ['q_proj'] });
    writeFileSync(
      join(path, 'adapter_config.json'),
      JSON.stringify({ peft_type: 'LORA', r: 2, lora_alpha: 6, target_modules: ['q_proj'] }),
    );
    const loaded = LoraAdapter.load(path, microConfig);
    expect(loaded.options).toMatchObject({ r: 2, alpha: 6, dropout: 0, targetModules: ['q_proj'] });
    loaded.dispose();
  });

  it('lists every problem of a config in one refusal', () => {
    const path = saved('two-problems');
    withConfig(path, { r: 0, lora_alpha: 0 });
    expect(() => LoraAdapter.load(path, microConfig)).toThrow(/: r: .+; lora_alpha: /);
  });

  it('accepts null for layers_to_transform', () => {
    const path = saved('null-layers');
    withConfig(path, { layers_to_transform: null });
    LoraAdapter.load(path, microConfig).dispose();
  });

  it('refuses weights without a tensor or of another shape, naming the tensor, and keeps no tensor', () => {
    const path = saved('tensors', { targetModules: ['q_proj', 'down_proj'] });
    const weights = join(path, 'adapter_model.safetensors');
    const { tensors } = decodeSafetensors(readFileSync(weights));
    const without = (key: string) => new Map([...tensors].filter(([k]) => k !== key));
    const tensorsBefore = tf.memory().numTensors;
    for (const key of [peftKey(1, 'down_proj', 'A'), peftKey(1, 'down_proj', 'B')]) {
      writeFileSync(weights, encodeSafetensors(without(key)));
      expect(() => LoraAdapter.load(path, microConfig)).toThrow(`${weights}: tensor "${key}" is missing`);
      expect(tf.memory().numTensors).toBe(tensorsBefore);
    }
    const bKey = peftKey(0, 'q_proj', 'B');
    writeFileSync(
      weights,
      encodeSafetensors(new Map([...tensors, [bKey, { shape: [2, 16], data: tensors.get(bKey)!.data }]])),
    );
    expect(() => LoraAdapter.load(path, microConfig)).toThrow(
      `${weights}: tensor "${bKey}" has shape [2,16], expected [16,2] for this model and r`,
    );
    const aKey = peftKey(0, 'q_proj', 'A');
    writeFileSync(
      weights,
      encodeSafetensors(new Map([...tensors, [aKey, { shape: [2, 16, 1], data: tensors.get(aKey)!.data }]])),
    );
    expect(() => LoraAdapter.load(path, microConfig)).toThrow(
      `tensor "${aKey}" has shape [2,16,1], expected [2,16]`,
    );
    writeFileSync(
      weights,
      encodeSafetensors(new Map([...tensors, [aKey, { shape: [32], data: tensors.get(aKey)!.data }]])),
    );
    expect(() => LoraAdapter.load(path, microConfig)).toThrow(
      `tensor "${aKey}" has shape [32], expected [2,16]`,
    );
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });
});
