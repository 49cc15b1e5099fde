import * as tf from '@tensorflow/tfjs';
import type { LlamaConfig } from './config.js';
import { BatchKvCache, KvCache, type LlamaModel } from './model.js';
import { Rng } from './rng.js';

export interface GeneratedToken {
  readonly id: number;
  /** Probability of the chosen token under the model (temperature 1). */
  readonly probability: number;
  /** Entropy in nats of the model's next-token distribution (temperature 1), for monitoring. */
  readonly entropy: number;
}

export interface GenerateOptions {
  readonly maxTokens: number;
  /** 0 (default) is greedy decoding. */
  readonly temperature?: number;
  /** Keep only the k most likely tokens (0 or undefined: all). */
  readonly topK?: number;
  /** Nucleus sampling: keep the smallest set of tokens whose probability reaches p (1: all). */
  readonly topP?: number;
  readonly seed?: number;
  /** Token ids that end generation (default: the config's eos ids); the stop token is not returned. */
  readonly stopTokenIds?: readonly number[];
  /** Strings that end generation; needs `decode`. The text is cut before the stop string. */
  readonly stopSequences?: readonly string[];
  readonly decode?: (ids: readonly number[]) => string;
  /** Called for each token as it is produced; return false to stop. */
  readonly onToken?: (token: GeneratedToken) => boolean | void;
}

export interface GenerateResult {
  readonly tokens: number[];
  readonly details: GeneratedToken[];
  readonly finishReason: 'length' | 'stop_token' | 'stop_sequence' | 'callback';
  /** Decoded text (when `decode` was given), cut at a stop sequence. */
  readonly text?: string;
  readonly promptTokens: number;
}

/**
 * One sequence's decoding, apart from the model: its sampling settings and random stream, its stop tokens
 * and strings, and what it has produced. `generate` and the continuous batcher (continuousBatch.ts) both
 * feed it one position's logits at a time, so a sequence stops and samples the same way alone or in a batch.
 */
export class SequenceDecoder {
  readonly tokens: number[] = [];
  readonly details: GeneratedToken[] = [];
  private reason: GenerateResult['finishReason'] | undefined;
  private text: string | undefined;
  private readonly rng: Rng;
  private readonly stopIds: Set<number>;
  private readonly stopSequences: readonly string[];
  /** Tokens this sequence may produce (the request's, cut to what the context leaves after the prompt). */
  readonly maxTokens: number;

  constructor(
    config: LlamaConfig,
    readonly prompt: readonly number[],
    private readonly options: GenerateOptions,
  ) {
    if (prompt.length === 0)
      throw new Error('generate needs a prompt of at least one token (e.g. the BOS id)');
    this.rng = new Rng(options.seed ?? 0);
    this.stopIds = new Set(options.stopTokenIds ?? config.eosTokenIds);
    this.stopSequences = options.stopSequences ?? [];
    if (this.stopSequences.length > 0 && !options.decode)
      throw new Error('stopSequences need a decode function');
    this.maxTokens = Math.min(options.maxTokens, config.maxPositionEmbeddings - prompt.length);
    if (this.maxTokens <= 0) this.reason = 'length';
  }

  get finished(): boolean {
    return this.reason !== undefined;
  }

  /** Ends the sequence as a callback would (a client that went away). */
  stop(): void {
    this.reason ??= 'callback';
  }

  /** Takes the logits of the next position; returns the token to feed the model next, or undefined when done. */
  accept(logits: Float32Array): number | undefined {
    if (this.reason) return undefined;
    const token = pick(logits, this.options, this.rng);
    if (this.stopIds.has(token.id)) {
      this.reason = 'stop_token';
      return undefined;
    }
    this.tokens.push(token.id);
    this.details.push(token);
    if (this.options.onToken?.(token) === false) {
      this.reason = 'callback';
      return undefined;
    }
    if (this.options.decode && this.stopSequences.length > 0) {
      const decoded = this.options.decode(this.tokens);
      const at = Math.min(...this.stopSequences.map((s) => decoded.indexOf(s)).filter((i) => i >= 0));
      if (Number.isFinite(at)) {
        this.text = decoded.slice(0, at);
        this.reason = 'stop_sequence';
        return undefined;
      }
    }
    if (this.tokens.length >= this.maxTokens) {
      this.reason = 'length';
      return undefined;
    }
    return token.id;
  }

  result(): GenerateResult {
    const text = this.text ?? this.options.decode?.(this.tokens);
    return {
      tokens: this.tokens,
      details: this.details,
      finishReason: this.reason ?? 'length',
      text,
      promptTokens: this.prompt.length,
    };
  }
}

/**
 * Autoregressive generation with a KV cache: the prompt runs once, then each new token runs alone against
 * the cached keys and values of earlier positions.
 */
export function generate(
  model: LlamaModel,
  prompt: readonly number[],
  options: GenerateOptions,
): GenerateResult {
  const sequence = new SequenceDecoder(model.config, prompt, options);
  const cache = new KvCache(model.config.numLayers);
  try {
    let input: readonly number[] = prompt;
    while (!sequence.finished) {
      const next = sequence.accept(lastLogits(model, input, cache));
      if (next !== undefined) input = [next];
    }
  } finally {
    cache.dispose();
  }
  return sequence.result();
}

/** The logits of the last position of one sequence's `input`, run through (and extending) `cache`. */
export function lastLogits(model: LlamaModel, input: readonly number[], cache: KvCache): Float32Array {
  // tidy returns the tensor, not its values: tidy walks whatever it is given with for-in looking for
  // tensors, and a Float32Array of vocabulary size per token made that walk a hot loop V8 kept
  // deoptimising and recompiling on its background threads (the cores the request thread needs).
  const last = tf.tidy(() => model.lastLogits([input], { cache }));
  const logits = Float32Array.from(last.dataSync() as Float32Array);
  last.dispose();
  return logits;
}

/**
 * The logits of the last position of each of `inputs` (rows of one length), run in one forward pass through
 * (and extending) `cache`, which holds as many rows: [rows * vocab], row after row.
 */
export function lastLogitsOfRows(
  model: LlamaModel,
  inputs: readonly (readonly number[])[],
  cache: KvCache,
): Float32Array {
  const last = tf.tidy(() => model.lastLogits(inputs, { cache }));
  const logits = Float32Array.from(last.dataSync() as Float32Array);
  last.dispose();
  return logits;
}

/** Chooses the next token from one position's logits, with its probability and the distribution's entropy. */
export function pick(
  logits: Float32Array,
  options: Pick<GenerateOptions, 'temperature' | 'topK' | 'topP'>,
  rng: Rng,
): GeneratedToken {
  const probs = softmax(logits, 1);
  let entropy = 0;
  for (const p of probs) if (p > 0) entropy -= p * Math.log(p);
  const temperature = options.temperature ?? 0;
  const id =
    temperature <= 0
      ? argmax(logits)
      : sampleToken(temperature === 1 ? probs : softmax(logits, temperature), options, rng);
  return { id, probability: probs[id]!, entropy };
}

/** The token `pick` chooses, without its probability and entropy (what batched generation needs). */
export function chooseToken(
  logits: Float32Array,
  options: Pick<GenerateOptions, 'temperature' | 'topK' | 'topP'>,
  rng: Rng,
): number {
  const temperature = options.temperature ?? 0;
  return temperature <= 0 ? argmax(logits) : sampleToken(softmax(logits, temperature), options, rng);
}

/** The first index of the largest value. */
function argmax(logits: Float32Array): number {
  let id = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[id]!) id = i;
  return id;
}

/**
 * Draws a token from probabilities `scaled`: the tokens in descending order of probability (ties in id order),
 * cut to the top k, then to the smallest prefix whose mass reaches top-p; one uniform draw walks that prefix.
 * The cut and the walk read only the sorted values, so the values are sorted natively (no comparator over
 * ids) and the chosen rank is mapped back to its id: among equal values, the rank's place in the run of
 * equals is the id's place among the ids of that value.
 */
function sampleToken(
  scaled: Float64Array,
  options: Pick<GenerateOptions, 'topK' | 'topP'>,
  rng: Rng,
): number {
  const sorted = Float64Array.from(scaled).sort().reverse();
  let keep = sorted.length;
  if (options.topK && options.topK > 0) keep = Math.min(keep, options.topK);
  if (options.topP !== undefined && options.topP < 1) {
    let sum = 0;
    let kept = 0;
    while (kept < keep && (kept === 0 || sum < options.topP)) sum += sorted[kept++]!;
    keep = kept;
  }
  let total = 0;
  for (let r = 0; r < keep; r++) total += sorted[r]!;
  let u = rng.next() * total;
  let rank = keep - 1;
  for (let r = 0; r < keep; r++) {
    u -= sorted[r]!;
    if (u < 0) {
      rank = r;
      break;
    }
  }
  const value = sorted[rank]!;
  let firstOfValue = rank;
  while (firstOfValue > 0 && sorted[firstOfValue - 1] === value) firstOfValue--;
  let skip = rank - firstOfValue;
  for (let id = 0; id < scaled.length; id++) if (scaled[id] === value && skip-- === 0) return id;
  throw new Error('sampling found no token of the chosen probability');
}

function softmax(logits: Float32Array, temperature: number): Float64Array {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp((logits[i]! - max) / temperature);
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

/** Softmax attention weights for a prompt: [layer][head][query][key] (causal: zero above the diagonal). */
export function attentionWeights(model: LlamaModel, prompt: readonly number[]): number[][][][] {
  return tf.tidy(() => {
    const { attention } = model.forward([prompt], { attention: true });
    return attention!.map((a) => (a.arraySync() as number[][][][])[0]!);
  });
}

export interface BatchGenerateOptions {
  readonly maxTokens: number;
  /** Sampling temperature (PPO samples from the policy itself: 1); 0 is greedy. */
  readonly temperature?: number;
  readonly topK?: number;
  readonly topP?: number;
  /** Token ids that end a sequence (default: the config's eos ids). */
  readonly stopTokenIds?: readonly number[];
  /** Keep the stop token at the end of the sequence (PPO: the policy is trained to stop). Default false. */
  readonly keepStopToken?: boolean;
}

export interface BatchGenerateResult {
  /** Each prompt's generated tokens. */
  readonly tokens: number[][];
  readonly finishReasons: ('length' | 'stop_token')[];
  /**
   * Forward passes run: one per prompt length (the prompts of that length prefill together), then one per
   * decoding step of every running sequence together.
   */
  readonly steps: number;
}

/**
 * Generation for many prompts at once, on the path continuous batching takes (LlamaModel.decodeStep over a
 * BatchKvCache): the prompts of each length prefill in one forward pass (the model has no padding mask), then
 * every unfinished sequence, whatever its length, decodes one token per step in one forward pass; a sequence
 * leaves the batch as soon as it stops. Greedy output is what `generate` gives each prompt alone. Tokens are
 * drawn from `rng` step by step, in prompt order within a step.
 */
export function generateBatch(
  model: LlamaModel,
  prompts: readonly (readonly number[])[],
  options: BatchGenerateOptions,
  rng: Rng,
): BatchGenerateResult {
  const c = model.config;
  const stopIds = new Set(options.stopTokenIds ?? c.eosTokenIds);
  const tokens: number[][] = prompts.map(() => []);
  const finishReasons: ('length' | 'stop_token')[] = prompts.map(() => 'length');
  const limits = prompts.map((prompt, i) => {
    if (prompt.length === 0)
      throw new Error(`prompt ${i} is empty; give at least one token (e.g. the BOS id)`);
    return Math.min(options.maxTokens, c.maxPositionEmbeddings - prompt.length);
  });
  const groups = new Map<number, number[]>();
  prompts.forEach((prompt, i) => {
    if (limits[i]! > 0) groups.set(prompt.length, [...(groups.get(prompt.length) ?? []), i]);
  });
  /** Takes prompt `index`'s next token; true while the sequence goes on. */
  const accept = (index: number, logits: Float32Array): boolean => {
    const id = chooseToken(logits, options, rng);
    if (stopIds.has(id)) {
      finishReasons[index] = 'stop_token';
      if (options.keepStopToken) tokens[index]!.push(id);
      return false;
    }
    tokens[index]!.push(id);
    return tokens[index]!.length < limits[index]!;
  };
  const cache = new BatchKvCache(c.numLayers, c.numKvHeads);
  let steps = 0;
  try {
    // Prefill, one pass per prompt length; the first tokens are then drawn in prompt order.
    let running: number[] = [];
    const firstLogits = new Map<number, Float32Array>();
    for (const [, members] of [...groups].sort((a, b) => a[0] - b[0])) {
      const single = new KvCache(c.numLayers);
      try {
        const all = lastLogitsOfRows(
          model,
          members.map((i) => prompts[i]!),
          single,
        );
        steps++;
        members.forEach((index, b) =>
          firstLogits.set(index, all.subarray(b * c.vocabSize, (b + 1) * c.vocabSize)),
        );
        cache.append(single);
        running.push(...members);
      } finally {
        single.dispose();
      }
    }
    let next = new Map<number, number>();
    const retire = (goesOn: (index: number) => boolean) => {
      const leaving = [...running.keys()].filter((row) => !goesOn(running[row]!));
      cache.remove(leaving);
      const gone = new Set(leaving);
      running = running.filter((_, row) => !gone.has(row));
    };
    for (const index of [...running].sort((a, b) => a - b))
      if (accept(index, firstLogits.get(index)!)) next.set(index, tokens[index]!.at(-1)!);
    retire((index) => next.has(index));
    while (running.length > 0) {
      const feed = running.map((index) => next.get(index)!);
      const last = tf.tidy(() => model.decodeStep(feed, cache));
      const all = last.dataSync() as Float32Array;
      steps++;
      const rowOf = new Map(running.map((index, row) => [index, row]));
      next = new Map();
      for (const index of [...running].sort((a, b) => a - b)) {
        const row = rowOf.get(index)!;
        if (accept(index, all.subarray(row * c.vocabSize, (row + 1) * c.vocabSize)))
          next.set(index, tokens[index]!.at(-1)!);
      }
      last.dispose();
      retire((index) => next.has(index));
    }
  } finally {
    cache.dispose();
  }
  return { tokens, finishReasons, steps };
}
