import * as tf from '@tensorflow/tfjs';
import type { LlamaConfig } from './config.js';
import type { LoraAdapter } from './lora.js';
import { Linear } from './linear.js';
import {
  embedFrozen,
  embedTrainable,
  attention,
  decodeAttention,
  rmsNorm,
  rotary,
  rotaryTables,
  rotateHalfMatrix,
  silu,
  readInTidy,
} from './ops.js';
import { copySlots, gatherRows, writeSlot } from './wasmKernels.js';
import { Rng } from './rng.js';
import type { HostTensor } from './safetensors.js';

// The projection names and shapes live in a file without tfjs, so services can check requests against them.
export {
  ATTENTION_MODULES,
  LINEAR_MODULES,
  MLP_MODULES,
  linearName,
  linearShape,
  type LinearModule,
} from './linearModules.js';
import { LINEAR_MODULES, linearName, linearShape, type LinearModule } from './linearModules.js';

/** Every tensor a checkpoint of this config holds, by Hugging Face name, with its shape. */
export function expectedTensors(config: LlamaConfig): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  shapes.set('model.embed_tokens.weight', [config.vocabSize, config.hiddenSize]);
  for (let layer = 0; layer < config.numLayers; layer++) {
    shapes.set(`model.layers.${layer}.input_layernorm.weight`, [config.hiddenSize]);
    shapes.set(`model.layers.${layer}.post_attention_layernorm.weight`, [config.hiddenSize]);
    for (const module of LINEAR_MODULES) shapes.set(linearName(layer, module), linearShape(config, module));
  }
  shapes.set('model.norm.weight', [config.hiddenSize]);
  if (!config.tieWordEmbeddings) shapes.set('lm_head.weight', [config.vocabSize, config.hiddenSize]);
  return shapes;
}

/** Cache key of the transposed embedding that a frozen tied head multiplies by. */
const TIED_HEAD = 'tied:embed_tokens^T';

/** Stored transposed ([in, out]) so the forward matmul is a plain 2-D one (see ops.ts). */
function isLinear(name: string): boolean {
  return name.endsWith('_proj.weight') || name === 'lm_head.weight';
}

/** Keys and values of earlier positions, per layer: [batch * kvHeads, positions, headDim]. */
export class KvCache {
  keys: (tf.Tensor3D | undefined)[];
  values: (tf.Tensor3D | undefined)[];
  length = 0;

  constructor(layers: number) {
    this.keys = new Array<tf.Tensor3D | undefined>(layers).fill(undefined);
    this.values = new Array<tf.Tensor3D | undefined>(layers).fill(undefined);
  }

  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t?.dispose();
    this.keys.fill(undefined);
    this.values.fill(undefined);
    this.length = 0;
  }
}

/** Slots a batch cache keeps free beyond its longest row when rows join (it doubles when it runs out). */
const SPARE_SLOTS = 16;

/**
 * Keys and values of a batch of sequences of different lengths, for decoding them together one token each
 * (continuous batching): per layer [rows * kvHeads, capacity, headDim], where row b's keys fill the lengths[b]
 * slots that end at `width` (at least the longest row's length), the slots before them are padding the attention
 * reads past, and the slots from `width` on are room for the next steps. A step writes every row's new keys and
 * values into slot `width` in place (writeSlot) and attends over the first width + 1 slots: no copy of the
 * cache per step. Rows join (from a KvCache after their prompts ran) and leave between steps without moving
 * the others: a row that leaves is released (its slots wait, free, for the next row that joins, which is
 * copied into them in place), and when the width reaches the capacity the rows move to the front in place.
 * Only rows joining beyond the free ones, and remove() (dropping rows for good), copy the cache.
 */
export class BatchKvCache {
  private keys: (tf.Tensor3D | undefined)[];
  private values: (tf.Tensor3D | undefined)[];
  private lengthsByRow: number[] = [];
  /** Rows whose sequence left (release): their slots wait for a row that joins (append), lowest first. */
  private freeRows: number[] = [];
  private slots = 0;

  constructor(
    private readonly layers: number,
    private readonly kvHeads: number,
  ) {
    this.keys = new Array<tf.Tensor3D | undefined>(layers).fill(undefined);
    this.values = new Array<tf.Tensor3D | undefined>(layers).fill(undefined);
  }

  /** Rows allocated: those in use and the free ones (release). */
  get rows(): number {
    return this.lengthsByRow.length;
  }

  /** Rows released and not yet taken again, lowest first. */
  get free(): readonly number[] {
    return this.freeRows;
  }

  /** Positions each row holds (the position its next token takes); 0 for a free row. */
  get lengths(): readonly number[] {
    return this.lengthsByRow;
  }

  /** Slots per row in use (the longest row's length). */
  get width(): number {
    return this.slots;
  }

  /** Slots per row allocated (width and the room after it). */
  get capacity(): number {
    return this.keys[0]?.shape[1] ?? 0;
  }

  /**
   * Writes a step's new keys and values ([rows * kvHeads, 1, headDim]) of a layer into slot `width` of every
   * row and returns the layer's tensors, whose first width + 1 slots the step attends over (LlamaModel.decodeStep;
   * it calls advance() after the last layer).
   */
  write(layer: number, keys: tf.Tensor3D, values: tf.Tensor3D): { keys: tf.Tensor3D; values: tf.Tensor3D } {
    if (this.rows === 0) throw new Error('the batch cache holds no rows');
    if (this.slots + 1 > this.capacity) this.grow(Math.max(2 * this.capacity, this.slots + 1 + SPARE_SLOTS));
    for (const [side, x] of [
      ['keys', keys],
      ['values', values],
    ] as const) {
      const stored = this[side][layer]!;
      const written = writeSlot(stored, x, this.slots);
      if (written !== stored) {
        stored.dispose();
        this[side][layer] = tf.keep(written);
      }
    }
    return { keys: this.keys[layer]!, values: this.values[layer]! };
  }

  /**
   * Counts the slot a step wrote into every row in use (a free row's step is ignored: it stays empty). When
   * the next step would outgrow the capacity while the rows in use are shorter than the width, every entry's
   * used slots move to the front in place instead (the room before the longest row was padding).
   */
  advance(): void {
    const free = new Set(this.freeRows);
    this.lengthsByRow = this.lengthsByRow.map((length, row) => (free.has(row) ? 0 : length + 1));
    this.slots++;
    const longest = Math.max(...this.lengthsByRow);
    if (this.slots + 1 <= this.capacity || longest >= this.slots) return;
    const entries = this.rows * this.kvHeads;
    const every = range(entries).map((e) => [e, e] as const);
    for (let layer = 0; layer < this.layers; layer++) {
      for (const side of ['keys', 'values'] as const) {
        const stored = this[side][layer]!;
        const moved = copySlots(stored, stored, every, {
          from: this.slots - longest,
          to: 0,
          count: longest,
        });
        if (moved !== stored) {
          stored.dispose();
          this[side][layer] = tf.keep(moved);
        }
      }
    }
    this.slots = longest;
  }

  /**
   * Frees rows whose sequences left, without moving the others: a row that joins later takes a free row's
   * place (append), and until then a step runs the free row on a dummy token whose output nobody reads.
   * Releasing the last row in use empties the cache.
   */
  release(rows: readonly number[]): void {
    for (const row of rows) {
      if (!Number.isInteger(row) || row < 0 || row >= this.rows || this.freeRows.includes(row))
        throw new Error(`release: row ${row} is not a row in use of the cache's ${this.rows}`);
      this.lengthsByRow[row] = 0;
      this.freeRows.push(row);
    }
    this.freeRows.sort((a, b) => a - b);
    if (this.freeRows.length === this.rows) this.dispose();
  }

  /**
   * Moves the rows of `cache` (a KvCache whose prompts of one length ran: [rows * kvHeads, length, headDim] per
   * layer) in; with `take`, only those rows of `cache` (in that order: the prompts that go on decoding).
   * They fill free rows first, copied into place (when they fit before the width), and the rest join as the
   * last rows, in one copy per layer. Returns the row each took, in order. `cache` is left empty.
   */
  append(cache: KvCache, take?: readonly number[]): number[] {
    const length = cache.length;
    const entries = cache.keys[0]?.shape[0] ?? 0;
    const rows = take ?? range(entries / this.kvHeads);
    const reuse = length > 0 && length <= this.slots ? Math.min(this.freeRows.length, rows.length) : 0;
    if (reuse === 0 || rows.some((row) => !Number.isInteger(row) || row < 0 || row >= entries / this.kvHeads))
      return this.appendRows(cache, take);
    const placed = this.freeRows.splice(0, reuse);
    const pairs = placed.flatMap((target, i) =>
      range(this.kvHeads).map((h) => [rows[i]! * this.kvHeads + h, target * this.kvHeads + h] as const),
    );
    for (let layer = 0; layer < this.layers; layer++) {
      for (const side of ['keys', 'values'] as const) {
        const stored = this[side][layer]!;
        const written = copySlots(stored, cache[side][layer]!, pairs, {
          from: 0,
          to: this.slots - length,
          count: length,
        });
        if (written !== stored) {
          stored.dispose();
          this[side][layer] = tf.keep(written);
        }
      }
    }
    for (const row of placed) this.lengthsByRow[row] = length;
    if (reuse === rows.length) {
      cache.dispose();
      return placed;
    }
    return [...placed, ...this.appendRows(cache, rows.slice(reuse))];
  }

  private appendRows(cache: KvCache, take?: readonly number[]): number[] {
    const length = cache.length;
    const entries = cache.keys[0]?.shape[0] ?? 0;
    if (length === 0 || entries === 0)
      throw new Error('append needs a cache that holds at least one position');
    if (entries % this.kvHeads !== 0)
      throw new Error(`append: ${entries} cache entries are not whole rows of ${this.kvHeads} kv heads`);
    const rows = take ?? range(entries / this.kvHeads);
    if (rows.some((row) => !Number.isInteger(row) || row < 0 || row >= entries / this.kvHeads))
      throw new Error(
        `append: rows [${rows.join(', ')}] are not all among the cache's ${entries / this.kvHeads}`,
      );
    if (rows.length === 0) {
      cache.dispose();
      return [];
    }
    const picked =
      take === undefined
        ? undefined
        : new Int32Array(rows.flatMap((row) => range(this.kvHeads).map((h) => row * this.kvHeads + h)));
    const width = Math.max(this.slots, length);
    const capacity = Math.max(this.capacity, width + SPARE_SLOTS);
    for (let layer = 0; layer < this.layers; layer++) {
      for (const side of ['keys', 'values'] as const) {
        const own = cache[side][layer]!;
        const batch = this[side][layer];
        const joined = tf.tidy(() => {
          const [, , dim] = own.shape;
          const chosen = picked
            ? (gatherRows(own.reshape([entries, length * dim]), tf.tensor1d(picked, 'int32')).reshape([
                picked.length,
                length,
                dim,
              ]) as tf.Tensor3D)
            : own;
          const tail = place(chosen, 0, length, width - length, capacity);
          if (!batch) return tail;
          const head =
            width === this.slots && capacity === batch.shape[1]
              ? batch
              : place(batch, 0, this.slots, width - this.slots, capacity);
          return tf.concat([head, tail], 0) as tf.Tensor3D;
        });
        batch?.dispose();
        this[side][layer] = tf.keep(joined);
      }
    }
    cache.dispose();
    this.slots = width;
    const first = this.lengthsByRow.length;
    for (let row = 0; row < rows.length; row++) this.lengthsByRow.push(length);
    return range(rows.length).map((i) => first + i);
  }

  /** Drops the given rows (in use or free), renumbering the rest in order; the width shrinks to the longest row left. */
  remove(rows: readonly number[]): void {
    if (rows.length === 0) return;
    const drop = new Set(rows);
    const free = new Set(this.freeRows);
    const keep = this.lengthsByRow.map((_, row) => row).filter((row) => !drop.has(row));
    if (keep.every((row) => free.has(row))) {
      this.dispose();
      return;
    }
    const lengths = keep.map((row) => this.lengthsByRow[row]!);
    const width = Math.max(...lengths);
    const entries = new Int32Array(
      keep.flatMap((row) => range(this.kvHeads).map((h) => row * this.kvHeads + h)),
    );
    for (let layer = 0; layer < this.layers; layer++) {
      for (const side of ['keys', 'values'] as const) {
        const old = this[side][layer]!;
        const [, capacity, dim] = old.shape;
        this[side][layer] = tf.keep(
          tf.tidy(() => {
            const kept = gatherRows(old.reshape([-1, capacity * dim]), tf.tensor1d(entries, 'int32')).reshape(
              [entries.length, capacity, dim],
            ) as tf.Tensor3D;
            return width < this.slots ? place(kept, this.slots - width, width, 0, capacity) : kept;
          }),
        );
        old.dispose();
      }
    }
    this.lengthsByRow = lengths;
    this.freeRows = keep.flatMap((row, at) => (free.has(row) ? [at] : []));
    this.slots = width;
  }

  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t?.dispose();
    this.keys.fill(undefined);
    this.values.fill(undefined);
    this.lengthsByRow = [];
    this.freeRows = [];
    this.slots = 0;
  }

  /** Moves every layer into tensors of `capacity` slots (the used ones where they were). */
  private grow(capacity: number): void {
    for (let layer = 0; layer < this.layers; layer++) {
      for (const side of ['keys', 'values'] as const) {
        const old = this[side][layer]!;
        this[side][layer] = tf.keep(tf.tidy(() => place(old, 0, this.slots, 0, capacity)));
        old.dispose();
      }
    }
  }
}

/**
 * Slots from..from+count of every entry of t [n, s, d], at slots at..at+count of a new tensor [n, total, d]
 * (zeros elsewhere). Always a new buffer (total > count), which BatchKvCache may then write into.
 */
function place(t: tf.Tensor3D, from: number, count: number, at: number, total: number): tf.Tensor3D {
  if (total <= count) throw new Error(`place: ${total} slots leave no room beyond ${count}`);
  const used = from === 0 && count === t.shape[1] ? t : tf.slice(t, [0, from, 0], [-1, count, -1]);
  return tf.pad(used, [
    [0, 0],
    [at, total - at - count],
    [0, 0],
  ]) as tf.Tensor3D;
}

/** Token ids [batch][positions] as one row-major array, checked: rows of one length, ids in the vocabulary. */
function flattenIds(
  ids: readonly (readonly number[])[],
  vocabSize: number,
): { flat: Int32Array; batch: number; seq: number } {
  const batch = ids.length;
  const seq = ids[0]?.length ?? 0;
  if (batch === 0 || seq === 0) throw new Error('forward needs at least one sequence of at least one token');
  const flat = new Int32Array(batch * seq);
  ids.forEach((row, b) => {
    if (row.length !== seq)
      throw new Error(`sequence ${b} has ${row.length} tokens, the first has ${seq}; pad them to one length`);
    row.forEach((id, t) => {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new Error(
          `token id ${id} at sequence ${b}, position ${t} is outside the vocabulary [0, ${vocabSize})`,
        );
      }
      flat[b * seq + t] = id;
    });
  });
  return { flat, batch, seq };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

export interface ForwardOptions {
  /** Turns on LoRA dropout; needs `rng` for its masks. */
  readonly training?: boolean;
  readonly rng?: Rng;
  /** Reads and extends this cache (generation); positions continue from cache.length. */
  readonly cache?: KvCache;
  /** Also return softmax attention weights per layer, [batch, heads, queries, keys]. */
  readonly attention?: boolean;
}

export interface ForwardResult {
  /** [batch * positions, vocab] */
  readonly logits: tf.Tensor2D;
  /** The last hidden states (after the final RMSNorm), [batch * positions, hidden]: what a value head reads. */
  readonly hidden: tf.Tensor2D;
  readonly attention?: tf.Tensor4D[];
}

/** What every layer of one forward pass shares. */
interface PassContext {
  readonly batch: number;
  /** New positions per sequence. */
  readonly seq: number;
  /** Positions attended to: the cached ones and the new ones. */
  readonly keys: number;
  /** Rotary tables of the new positions. */
  readonly angles: { cos: tf.Tensor2D; sin: tf.Tensor2D };
  /** Additive causal mask of the new positions, absent for one query. */
  readonly mask: tf.Tensor2D | undefined;
  readonly options: ForwardOptions;
  /** Filled with each layer's softmax weights when options.attention asks for them. */
  readonly attentionByLayer: tf.Tensor4D[];
}

/**
 * A LLaMA decoder (LlamaForCausalLM) on TensorFlow.js: embeddings, per layer RMSNorm, grouped-query
 * attention with rotary embeddings (rotate_half convention), RMSNorm, SwiGLU MLP; final RMSNorm and a tied
 * or untied head. Weights are tf.Variables keyed by their Hugging Face names.
 */
export class LlamaModel {
  readonly config: LlamaConfig;
  private readonly weights = new Map<string, tf.Variable>();
  /** Applies the projections (and keeps the transposed copies of frozen ones). */
  private readonly linear = new Linear();
  private trainableBase = false;
  private rotary:
    { cos: tf.Tensor2D; sin: tf.Tensor2D; p: tf.Tensor2D; pT: tf.Tensor2D; positions: number } | undefined;
  lora: LoraAdapter | undefined;

  private constructor(config: LlamaConfig) {
    this.config = config;
  }

  /**
   * Builds a model from Hugging Face named tensors; `where` names the checkpoint in errors.
   * Throws on a missing tensor or a wrong shape; extra tensors (such as rotary_emb.inv_freq) are ignored.
   */
  static fromTensors(
    config: LlamaConfig,
    tensors: ReadonlyMap<string, HostTensor>,
    where = 'checkpoint',
  ): LlamaModel {
    const model = new LlamaModel(config);
    const expected = expectedTensors(config);
    try {
      for (const [name, shape] of expected) {
        const tensor = tensors.get(name);
        if (!tensor) {
          throw new Error(
            `${where}: tensor "${name}" is missing (expected shape [${shape}] for this config.json)`,
          );
        }
        if (tensor.shape.length !== shape.length || tensor.shape.some((d, i) => d !== shape[i])) {
          throw new Error(
            `${where}: tensor "${name}" has shape [${tensor.shape}], but config.json implies [${shape}]`,
          );
        }
        model.setWeight(name, tensor.data, shape);
      }
    } catch (error) {
      model.dispose();
      throw error;
    }
    return model;
  }

  /** A randomly initialised model: normal(0, 0.02) projections and embeddings, norms at one (as transformers). */
  static random(config: LlamaConfig, seed = 0, initializerRange = 0.02): LlamaModel {
    const rng = new Rng(seed);
    const tensors = new Map<string, HostTensor>();
    for (const [name, shape] of expectedTensors(config)) {
      const size = shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(size);
      if (name.endsWith('norm.weight')) data.fill(1);
      else for (let i = 0; i < size; i++) data[i] = rng.normal() * initializerRange;
      tensors.set(name, { shape, data });
    }
    return LlamaModel.fromTensors(config, tensors, 'random init');
  }

  private setWeight(name: string, data: Float32Array, shape: readonly number[]): void {
    this.weights.get(name)?.dispose();
    this.linear.forget(name);
    if (name === 'model.embed_tokens.weight') this.linear.forget(TIED_HEAD);
    const value = tf.tidy(() => {
      const t = tf.tensor(data, [...shape]);
      return isLinear(name) ? tf.transpose(t) : t;
    });
    this.weights.set(
      name,
      tf.variable(value, this.trainableBase, `${name}#${Math.random().toString(36).slice(2)}`),
    );
    value.dispose();
  }

  /** Replaces one weight given in Hugging Face layout (e.g. after merging an adapter). */
  replaceWeight(name: string, data: Float32Array): void {
    const shape = expectedTensors(this.config).get(name);
    if (!shape) throw new Error(`"${name}" is not a weight of this model`);
    this.setWeight(name, data, shape);
  }

  /** All weights in Hugging Face layout, ready to write as safetensors. */
  toTensors(): Map<string, HostTensor> {
    const out = new Map<string, HostTensor>();
    for (const [name, shape] of expectedTensors(this.config)) {
      const variable = this.weights.get(name)!;
      const data = readInTidy(
        () => (isLinear(name) ? tf.transpose(variable) : variable).dataSync() as Float32Array,
      );
      out.set(name, { shape, data: Float32Array.from(data) });
    }
    return out;
  }

  /** One weight in Hugging Face layout. */
  weight(name: string): HostTensor {
    const shape = expectedTensors(this.config).get(name);
    const variable = this.weights.get(name);
    if (!shape || !variable) throw new Error(`"${name}" is not a weight of this model`);
    const data = readInTidy(
      () => (isLinear(name) ? tf.transpose(variable) : variable).dataSync() as Float32Array,
    );
    return { shape, data: Float32Array.from(data) };
  }

  /** Full fine-tuning makes every base weight trainable; with LoRA the base stays frozen. */
  setBaseTrainable(trainable: boolean): void {
    if (trainable === this.trainableBase) return;
    this.trainableBase = trainable;
    for (const [name, variable] of [...this.weights]) {
      const value = tf.clone(variable);
      variable.dispose();
      this.weights.set(name, tf.variable(value, trainable, `${name}#${Math.random().toString(36).slice(2)}`));
      value.dispose();
    }
    this.linear.clear();
  }

  get baseTrainable(): boolean {
    return this.trainableBase;
  }

  /** The base weights as variables, by Hugging Face name (linear ones stored [in, out]). */
  baseVariables(): Map<string, tf.Variable> {
    return new Map(this.weights);
  }

  /** Variables an optimizer should update: all base weights (full) and/or the adapter's. */
  trainableVariables(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    if (this.trainableBase) for (const [name, v] of this.weights) out.set(name, v);
    if (this.lora) for (const [name, v] of this.lora.variables()) out.set(name, v);
    return out;
  }

  /** Projection x @ W^T of a base weight, plus the LoRA delta if an adapter targets it. */
  private project(
    name: string,
    x: tf.Tensor2D,
    options: ForwardOptions,
    layer?: number,
    module?: LinearModule,
  ): tf.Tensor2D {
    const wt = this.weights.get(name)! as unknown as tf.Tensor2D;
    let y = this.linear.apply(name, x, wt, this.trainableBase);
    if (this.lora && layer !== undefined && module !== undefined) {
      const delta = this.lora.delta(layer, module, x, options.training ?? false, options.rng);
      if (delta) y = tf.add(y, delta);
    }
    return y;
  }

  private rotaryFor(positions: number) {
    if (!this.rotary || this.rotary.positions < positions) {
      const size = Math.max(
        positions,
        this.rotary?.positions ?? 0,
        Math.min(this.config.maxPositionEmbeddings, 256),
      );
      if (this.rotary)
        for (const t of [this.rotary.cos, this.rotary.sin, this.rotary.p, this.rotary.pT]) t.dispose();
      const d = this.config.headDim;
      const { cos, sin } = rotaryTables(size, d, this.config.ropeTheta, this.config.ropeScaling);
      const { p, pT } = rotateHalfMatrix(d);
      this.rotary = {
        cos: tf.keep(tf.tensor2d(cos, [size, d])),
        sin: tf.keep(tf.tensor2d(sin, [size, d])),
        p: tf.keep(tf.tensor2d(p, [d, d])),
        pT: tf.keep(tf.tensor2d(pT, [d, d])),
        positions: size,
      };
    }
    return this.rotary;
  }

  /** x [b*t, heads*d] -> same layout with rotary embedding for positions offset..offset+t-1 applied. */
  private applyRotary(
    x: tf.Tensor2D,
    batch: number,
    seq: number,
    heads: number,
    angles: { cos: tf.Tensor2D; sin: tf.Tensor2D },
  ): tf.Tensor4D {
    const rot = this.rotary!;
    const shaped = tf.reshape(x, [batch, seq, heads, this.config.headDim]) as tf.Tensor4D;
    return rotary(shaped, angles.cos, angles.sin, rot.p, rot.pT);
  }

  /** Additive causal mask [groups * seq, keys] for queries at offset..offset+seq-1 (grouped by kv head). */
  private causalMask(seq: number, offset: number, groups: number): tf.Tensor2D {
    const keys = offset + seq;
    const data = new Float32Array(groups * seq * keys);
    for (let g = 0; g < groups; g++) {
      for (let q = 0; q < seq; q++) {
        const row = (g * seq + q) * keys;
        for (let k = offset + q + 1; k < keys; k++) data[row + k] = -1e9;
      }
    }
    return tf.tensor2d(data, [groups * seq, keys]);
  }

  /**
   * Logits for token ids [batch][positions] (all rows the same length). Must be called inside tf.tidy or
   * the caller disposes the result. With a cache, positions continue after the cached ones and the cache
   * is extended (its tensors are kept outside any tidy).
   */
  forward(ids: readonly (readonly number[])[], options: ForwardOptions = {}): ForwardResult {
    const { final, attentionByLayer } = this.decode(ids, options);
    const logits = this.head(final, options);
    return { logits, hidden: final, attention: options.attention ? attentionByLayer : undefined };
  }

  /**
   * The logits [batch, vocab] of each sequence's last position only (a prompt's prefill in generation): the
   * head runs on one row per sequence instead of every position. Same contract as forward otherwise.
   */
  lastLogits(ids: readonly (readonly number[])[], options: ForwardOptions = {}): tf.Tensor2D {
    const { final } = this.decode(ids, options);
    const seq = ids[0]!.length;
    const last =
      seq === 1
        ? final
        : ids.length === 1
          ? (tf.slice(final, [seq - 1, 0], [1, -1]) as tf.Tensor2D)
          : gatherRows(
              final,
              tf.tensor1d(
                Int32Array.from(ids, (_, b) => b * seq + seq - 1),
                'int32',
              ),
            );
    return this.head(last, options);
  }

  /** Logits [rows, vocab] from final hidden states: the tied embedding or lm_head. */
  private head(final: tf.Tensor2D, options: ForwardOptions): tf.Tensor2D {
    if (!this.config.tieWordEmbeddings) return this.project('lm_head.weight', final, options);
    const embed = this.weights.get('model.embed_tokens.weight')! as unknown as tf.Tensor2D;
    return this.linear.applyTransposed(TIED_HEAD, final, embed, this.trainableBase);
  }

  /** The SwiGLU block of a layer with its residual: h + down(silu(gate(norm h)) * up(norm h)). */
  private mlp(layer: number, h: tf.Tensor2D, options: ForwardOptions): tf.Tensor2D {
    const y = rmsNorm(
      h,
      this.w1(`model.layers.${layer}.post_attention_layernorm.weight`),
      this.config.rmsNormEps,
    );
    const gate = silu(this.project(linearName(layer, 'gate_proj'), y, options, layer, 'gate_proj'));
    const up = this.project(linearName(layer, 'up_proj'), y, options, layer, 'up_proj');
    return tf.add(
      h,
      this.project(
        linearName(layer, 'down_proj'),
        tf.mul(gate, up) as tf.Tensor2D,
        options,
        layer,
        'down_proj',
      ),
    );
  }

  /**
   * One decoding step for a batch of sequences of different lengths: row b's token `tokens[b]` at position
   * cache.lengths[b], attending to that row's cached keys only. Returns logits [rows, vocab] (call inside
   * tf.tidy); writes every row's new keys and values into the cache's next slot (in place on wasm) and
   * advances it. Row for row the same computation as forward with a
   * single-sequence KvCache: the padding slots get exactly zero weight.
   */
  decodeStep(tokens: readonly number[], cache: BatchKvCache): tf.Tensor2D {
    const c = this.config;
    const rows = tokens.length;
    if (rows === 0 || rows !== cache.rows)
      throw new Error(`decodeStep got ${rows} tokens for a cache of ${cache.rows} rows`);
    tokens.forEach((id, b) => {
      if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize)
        throw new Error(`token id ${id} of row ${b} is outside the vocabulary [0, ${c.vocabSize})`);
    });
    const lengths = cache.lengths;
    const longest = Math.max(...lengths);
    if (longest + 1 > c.maxPositionEmbeddings)
      throw new Error(`${longest + 1} positions exceed max_position_embeddings (${c.maxPositionEmbeddings})`);
    const d = c.headDim;
    const groups = c.numHeads / c.numKvHeads;
    const width = cache.width + 1;
    const options: ForwardOptions = {};
    // Row b sees its last lengths[b] + 1 slots; the slots before them are padding.
    const first = lengths.flatMap((length) => new Array<number>(c.numKvHeads).fill(width - (length + 1)));
    const rot = this.rotaryFor(longest + 1);
    // Each row at its own position: the rows are the "positions" of a [1, rows, heads, d] rotary call.
    const where = tf.tensor1d(Int32Array.from(lengths), 'int32');
    const angles = { cos: gatherRows(rot.cos, where), sin: gatherRows(rot.sin, where) };
    const embed = this.weights.get('model.embed_tokens.weight')! as unknown as tf.Tensor2D;
    let h = embedFrozen(embed, Int32Array.from(tokens));
    for (let layer = 0; layer < c.numLayers; layer++) {
      const x = rmsNorm(h, this.w1(`model.layers.${layer}.input_layernorm.weight`), c.rmsNormEps);
      const q = this.applyRotary(
        this.project(linearName(layer, 'q_proj'), x, options, layer, 'q_proj'),
        1,
        rows,
        c.numHeads,
        angles,
      );
      const k = this.applyRotary(
        this.project(linearName(layer, 'k_proj'), x, options, layer, 'k_proj'),
        1,
        rows,
        c.numKvHeads,
        angles,
      );
      const v = this.project(linearName(layer, 'v_proj'), x, options, layer, 'v_proj');
      // Heads h = kv * groups + r share kv head kv: [rows, kvHeads, groups, d] is [rows * kvHeads, groups, d].
      const qg = q.reshape([rows * c.numKvHeads, groups, d]) as tf.Tensor3D;
      const kNew = k.reshape([rows * c.numKvHeads, 1, d]) as tf.Tensor3D;
      const vNew = v.reshape([rows * c.numKvHeads, 1, d]) as tf.Tensor3D;
      const { keys: kg, values: vg } = cache.write(layer, kNew, vNew);
      const context = decodeAttention(qg, kg, vg, 1 / Math.sqrt(d), first, width);
      h = tf.add(
        h,
        this.project(
          linearName(layer, 'o_proj'),
          context.reshape([rows, c.numHeads * d]) as tf.Tensor2D,
          options,
          layer,
          'o_proj',
        ),
      );
      h = this.mlp(layer, h, options);
    }
    cache.advance();
    return this.head(rmsNorm(h, this.w1('model.norm.weight'), c.rmsNormEps), options);
  }

  /**
   * The decoder's last hidden states (after the final RMSNorm), [batch * positions, hidden], without the
   * language-model head: what a reward model's scalar head reads. Same contract as forward.
   */
  hiddenStates(ids: readonly (readonly number[])[], options: ForwardOptions = {}): tf.Tensor2D {
    return this.decode(ids, options).final;
  }

  private decode(
    ids: readonly (readonly number[])[],
    options: ForwardOptions,
  ): { final: tf.Tensor2D; attentionByLayer: tf.Tensor4D[] } {
    const c = this.config;
    const { flat, batch, seq } = flattenIds(ids, c.vocabSize);
    const cache = options.cache;
    const offset = cache?.length ?? 0;
    if (offset + seq > c.maxPositionEmbeddings) {
      throw new Error(
        `${offset + seq} positions exceed max_position_embeddings (${c.maxPositionEmbeddings})`,
      );
    }
    const d = c.headDim;
    const groups = c.numHeads / c.numKvHeads;
    const keys = offset + seq;
    const attentionByLayer: tf.Tensor4D[] = [];
    const embed = this.weights.get('model.embed_tokens.weight')! as unknown as tf.Tensor2D;
    let h: tf.Tensor2D = this.trainableBase ? embedTrainable(embed, flat) : embedFrozen(embed, flat);
    // One query attends to every cached key: no mask needed (the common case in generation).
    const mask = seq > 1 ? this.causalMask(seq, offset, groups) : undefined;
    const rot = this.rotaryFor(offset + seq);
    // Sliced once per forward pass, shared by every layer's q and k.
    const angles = {
      cos: tf.slice(rot.cos, [offset, 0], [seq, d]),
      sin: tf.slice(rot.sin, [offset, 0], [seq, d]),
    };
    const pass: PassContext = { batch, seq, keys, angles, mask, options, attentionByLayer };
    for (let layer = 0; layer < c.numLayers; layer++) {
      h = this.attentionBlock(layer, h, pass);
      h = this.mlp(layer, h, options);
    }
    if (cache) cache.length = keys;
    const final = rmsNorm(h, this.w1('model.norm.weight'), c.rmsNormEps);
    return { final, attentionByLayer };
  }

  /**
   * The attention block of a layer with its residual: h + o_proj(attention(rotary(q), rotary(k), v)) over
   * the normed h, causal, reading and extending the pass's cache if it has one.
   */
  private attentionBlock(layer: number, h: tf.Tensor2D, pass: PassContext): tf.Tensor2D {
    const c = this.config;
    const { batch, seq, keys, angles, mask, options, attentionByLayer } = pass;
    const cache = options.cache;
    const d = c.headDim;
    const groups = c.numHeads / c.numKvHeads;
    const scale = 1 / Math.sqrt(d);
    const prefix = `model.layers.${layer}`;
    const x = rmsNorm(h, this.w1(`${prefix}.input_layernorm.weight`), c.rmsNormEps);
    const q = this.applyRotary(
      this.project(linearName(layer, 'q_proj'), x, options, layer, 'q_proj'),
      batch,
      seq,
      c.numHeads,
      angles,
    );
    const k = this.applyRotary(
      this.project(linearName(layer, 'k_proj'), x, options, layer, 'k_proj'),
      batch,
      seq,
      c.numKvHeads,
      angles,
    );
    const v = this.project(linearName(layer, 'v_proj'), x, options, layer, 'v_proj').reshape([
      batch,
      seq,
      c.numKvHeads,
      d,
    ]);
    // Heads h = kv * groups + r share kv head `kv` (transformers' repeat_kv), so the queries of one kv
    // group stack into [groups * seq, d] rows against that kv head's keys: no copies of k and v.
    const qg = tf.transpose(q, [0, 2, 1, 3]).reshape([batch * c.numKvHeads, groups * seq, d]) as tf.Tensor3D;
    let kg = tf.transpose(k, [0, 2, 1, 3]).reshape([batch * c.numKvHeads, seq, d]) as tf.Tensor3D;
    let vg = tf.transpose(v, [0, 2, 1, 3]).reshape([batch * c.numKvHeads, seq, d]) as tf.Tensor3D;
    if (cache) {
      const pastK = cache.keys[layer];
      const pastV = cache.values[layer];
      if (pastK && pastV) {
        kg = tf.concat([pastK, kg], 1);
        vg = tf.concat([pastV, vg], 1);
      }
      pastK?.dispose();
      pastV?.dispose();
      cache.keys[layer] = tf.keep(kg);
      cache.values[layer] = tf.keep(vg);
    }
    // A decoding step (one new position over the cache) takes the one-pass attention decodeStep takes too.
    const decoding = cache !== undefined && seq === 1 && !options.attention;
    const { context: heads, probs } = decoding
      ? {
          context: decodeAttention(qg, kg, vg, scale, new Array<number>(qg.shape[0]).fill(0)),
          probs: undefined,
        }
      : attention(qg, kg, vg, scale, mask, options.attention ?? false);
    if (probs) attentionByLayer.push(probs.reshape([batch, c.numHeads, seq, keys]));
    const context = heads
      .reshape([batch, c.numHeads, seq, d])
      .transpose([0, 2, 1, 3])
      .reshape([batch * seq, c.numHeads * d]) as tf.Tensor2D;
    return tf.add(h, this.project(linearName(layer, 'o_proj'), context, options, layer, 'o_proj'));
  }

  private w1(name: string): tf.Tensor1D {
    return this.weights.get(name)! as unknown as tf.Tensor1D;
  }

  /** Logits as nested arrays [batch][position][vocab] (for the CLI and comparisons). */
  logits(ids: readonly (readonly number[])[]): number[][][] {
    const seq = ids[0]?.length ?? 0;
    const flat = readInTidy(() => this.forward(ids).logits.arraySync());
    return ids.map((_, b) => flat.slice(b * seq, (b + 1) * seq));
  }

  dispose(): void {
    for (const v of this.weights.values()) v.dispose();
    this.weights.clear();
    this.linear.clear();
    if (this.rotary)
      for (const t of [this.rotary.cos, this.rotary.sin, this.rotary.p, this.rotary.pT]) t.dispose();
    this.rotary = undefined;
    this.lora?.dispose();
    this.lora = undefined;
  }
}
