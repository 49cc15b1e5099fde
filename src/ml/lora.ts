import * as tf from '@tensorflow/tfjs';
import type { LlamaConfig } from './config.js';
import { linearName, linearShape, type LinearModule } from './linearModules.js';
import { linearTrainable, readInTidy } from './ops.js';
import { loraOptionsSchema, type LoraOptions } from './loraOptions.js';
import { peftConfigJson, readPeftAdapter, writePeftAdapter } from './peftFiles.js';
import { Rng } from './rng.js';
import type { HostTensor } from './safetensors.js';

export { DEFAULT_LORA, loraOptionsSchema, type LoraOptions } from './loraOptions.js';

/** The PEFT key of a LoRA matrix, e.g. base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight. */
export function peftKey(layer: number, module: LinearModule, which: 'A' | 'B'): string {
  return `base_model.model.${linearName(layer, module).replace(/\.weight$/, '')}.lora_${which}.weight`;
}

/**
 * LoRA with PEFT semantics: for each targeted projection W [out, in], y = W x + (alpha / r) * B A dropout(x)
 * with A [r, in] kaiming-uniform (a = sqrt(5), as torch.nn.Linear initialises it, i.e. U(-1/sqrt(in),
 * 1/sqrt(in))) and B [out, r] zero. A and B are stored transposed ([in, r], [r, out]) for 2-D matmuls.
 */
/** What merging needs of a model; structural, so this file need not import model.ts (which holds an adapter). */
export interface MergeTarget {
  lora: LoraAdapter | undefined;
  weight(name: string): HostTensor;
  replaceWeight(name: string, data: Float32Array): void;
}

export class LoraAdapter {
  readonly options: LoraOptions;
  readonly scale: number;
  private readonly a = new Map<string, tf.Variable>();
  private readonly b = new Map<string, tf.Variable>();
  private readonly modelConfig: LlamaConfig;

  private constructor(modelConfig: LlamaConfig, options: LoraOptions) {
    const parsed = loraOptionsSchema.safeParse(options);
    if (!parsed.success) {
      throw new Error(
        `invalid LoRA options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    this.options = { ...options, targetModules: [...new Set(options.targetModules)] };
    this.scale = options.alpha / options.r;
    this.modelConfig = modelConfig;
  }

  /** A fresh adapter: A kaiming-uniform from the seeded generator, B zero. */
  static create(modelConfig: LlamaConfig, options: LoraOptions, seed = 0): LoraAdapter {
    const adapter = new LoraAdapter(modelConfig, options);
    const rng = new Rng(seed);
    for (let layer = 0; layer < modelConfig.numLayers; layer++) {
      for (const module of adapter.options.targetModules) {
        const [out, inp] = linearShape(modelConfig, module);
        const bound = 1 / Math.sqrt(inp);
        const aT = new Float32Array(inp * options.r);
        // Drawn in PEFT's [r, in] order so a given seed means the same A in either layout.
        for (let i = 0; i < options.r; i++)
          for (let j = 0; j < inp; j++) aT[j * options.r + i] = rng.uniform(-bound, bound);
        adapter.set(layer, module, aT, new Float32Array(options.r * out));
      }
    }
    return adapter;
  }

  private set(layer: number, module: LinearModule, aT: Float32Array, bT: Float32Array): void {
    const [out, inp] = linearShape(this.modelConfig, module);
    const r = this.options.r;
    const ka = peftKey(layer, module, 'A');
    const kb = peftKey(layer, module, 'B');
    this.a.get(ka)?.dispose();
    this.b.get(kb)?.dispose();
    this.a.set(ka, trainable(ka, aT, [inp, r]));
    this.b.set(kb, trainable(kb, bT, [r, out]));
  }

  /** Fills every B with U(-range, range) from a seed: a fresh adapter (B = 0) changes nothing, which checks cannot see. */
  randomizeB(seed: number, range: number): void {
    const rng = new Rng(seed);
    for (const variable of this.b.values()) {
      const data = new Float32Array(variable.size);
      for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-range, range);
      tf.tidy(() => variable.assign(tf.tensor(data, variable.shape)));
    }
  }

  /** The adapter's trainable variables by PEFT key (stored transposed). */
  variables(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [k, v] of this.a) out.set(k, v);
    for (const [k, v] of this.b) out.set(k, v);
    return out;
  }

  /** scale * B A dropout(x) for a targeted projection, or undefined when the module is not targeted. */
  delta(
    layer: number,
    module: LinearModule,
    x: tf.Tensor2D,
    training: boolean,
    rng: Rng | undefined,
  ): tf.Tensor2D | undefined {
    const a = this.a.get(peftKey(layer, module, 'A'));
    const b = this.b.get(peftKey(layer, module, 'B'));
    if (!a || !b) return undefined;
    let input = x;
    if (training && this.options.dropout > 0) {
      if (!rng) throw new Error('LoRA dropout in training needs a seeded Rng (ForwardOptions.rng)');
      input = dropout(x, this.options.dropout, rng.seed());
    }
    const low = linearTrainable(input, a as unknown as tf.Tensor2D);
    return tf.mul(linearTrainable(low, b as unknown as tf.Tensor2D), this.scale) as tf.Tensor2D;
  }

  /** The adapter in PEFT layout: lora_A [r, in], lora_B [out, r]. */
  toPeftTensors(): Map<string, HostTensor> {
    const out = new Map<string, HostTensor>();
    for (const [key, v] of [...this.a, ...this.b]) {
      const data = readInTidy(() => tf.transpose(v).dataSync() as Float32Array);
      const [rows, cols] = v.shape as [number, number];
      out.set(key, { shape: [cols, rows], data: Float32Array.from(data) });
    }
    return new Map([...out].sort(([x], [y]) => (x < y ? -1 : 1)));
  }

  /** adapter_config.json as PEFT writes it for a LoRA on a causal LM. */
  peftConfig(): Record<string, unknown> {
    return peftConfigJson(this.options);
  }

  /** Writes adapter_config.json and adapter_model.safetensors (F32) into dir, the layout PeftModel.from_pretrained reads. */
  save(dir: string): void {
    writePeftAdapter(dir, this.options, this.toPeftTensors());
  }

  /** Reads a PEFT LoRA adapter directory for a model of `modelConfig`. */
  static load(dir: string, modelConfig: LlamaConfig): LoraAdapter {
    const { options, lookup, weightsPath } = readPeftAdapter(dir);
    const r = options.r;
    const adapter = new LoraAdapter(modelConfig, options);
    try {
      for (let layer = 0; layer < modelConfig.numLayers; layer++) {
        for (const module of adapter.options.targetModules) {
          const [out, inp] = linearShape(modelConfig, module);
          const ka = peftKey(layer, module, 'A');
          const kb = peftKey(layer, module, 'B');
          const a = lookup(ka);
          const b = lookup(kb);
          if (!a || !b) throw new Error(`${weightsPath}: tensor "${!a ? ka : kb}" is missing`);
          checkShape(weightsPath, ka, a.shape, [r, inp]);
          checkShape(weightsPath, kb, b.shape, [out, r]);
          adapter.set(layer, module, transpose2d(a.data, r, inp), transpose2d(b.data, out, r));
        }
      }
    } catch (error) {
      adapter.dispose();
      throw error;
    }
    return adapter;
  }

  /**
   * Folds the adapter into the model's base weights (W += scale * B A) and detaches it; the model then
   * computes what base plus adapter computed.
   */
  mergeInto(model: MergeTarget): void {
    for (let layer = 0; layer < this.modelConfig.numLayers; layer++) {
      for (const module of this.options.targetModules) {
        const a = this.a.get(peftKey(layer, module, 'A'))!;
        const b = this.b.get(peftKey(layer, module, 'B'))!;
        const name = linearName(layer, module);
        const base = model.weight(name);
        // (A^T B^T)^T = B A, [out, in]
        const delta = readInTidy(() => tf.transpose(tf.matMul(a, b)).dataSync() as Float32Array);
        const merged = new Float32Array(base.data.length);
        for (let i = 0; i < merged.length; i++) merged[i] = base.data[i]! + this.scale * delta[i]!;
        model.replaceWeight(name, merged);
      }
    }
    if (model.lora === this) model.lora = undefined;
  }

  dispose(): void {
    for (const v of [...this.a.values(), ...this.b.values()]) v.dispose();
    this.a.clear();
    this.b.clear();
  }
}

/**
 * Inverted dropout (kept entries scaled by 1 / (1 - rate)) with a mask drawn from `seed`. The mask is made
 * on the host by our generator: tf.dropout draws its uniforms one by one in JavaScript (seedrandom's Alea),
 * which cost more than the LoRA matmuls it feeds.
 */
function dropout(x: tf.Tensor2D, rate: number, seed: number): tf.Tensor2D {
  const mask = new Rng(seed).fillUniform(new Float32Array(x.size));
  const keep = 1 / (1 - rate);
  for (let i = 0; i < mask.length; i++) mask[i] = mask[i]! >= rate ? keep : 0;
  return tf.mul(x, tf.tensor2d(mask, x.shape));
}

/**
 * A trainable variable holding `data`, named uniquely. The tensor it starts from is disposed: the variable
 * shares its data, and a tensor left behind would keep that data after the variable is disposed.
 */
function trainable(key: string, data: Float32Array, shape: [number, number]): tf.Variable {
  const initial = tf.tensor2d(data, shape);
  const variable = tf.variable(initial, true, `${key}#${Math.random().toString(36).slice(2)}`);
  initial.dispose();
  return variable;
}

function checkShape(file: string, key: string, actual: readonly number[], expected: readonly number[]): void {
  if (actual.length !== expected.length || actual.some((d, i) => d !== expected[i])) {
    throw new Error(
      `${file}: tensor "${key}" has shape [${actual}], expected [${expected}] for this model and r`,
    );
  }
}

function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j]!;
  return out;
}
