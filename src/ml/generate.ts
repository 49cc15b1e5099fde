import * as tf from '@tensorflow/tfjs';
import type { LlamaConfig } from './config.js';
import { KvCache, type LlamaModel } from './model.js';
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
  const last = tf.tidy(() => {
    const { logits: all } = model.forward([input], { cache });
    return all.slice([all.shape[0] - 1, 0], [1, -1]);
  });
  const logits = Float32Array.from(last.dataSync() as Float32Array);
  last.dispose();
  return logits;
}

/** Chooses the next token from one position's logits. */
export function pick(
  logits: Float32Array,
  options: Pick<GenerateOptions, 'temperature' | 'topK' | 'topP'>,
  rng: Rng,
): GeneratedToken {
  const probs = softmax(logits, 1);
  let entropy = 0;
  for (const p of probs) if (p > 0) entropy -= p * Math.log(p);
  const temperature = options.temperature ?? 0;
  let id: number;
  if (temperature <= 0) {
    id = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[id]!) id = i;
  } else {
    const scaled = softmax(logits, temperature);
    let order = Array.from(scaled.keys()).sort((a, b) => scaled[b]! - scaled[a]!);
    if (options.topK && options.topK > 0) order = order.slice(0, options.topK);
    if (options.topP !== undefined && options.topP < 1) {
      let sum = 0;
      let keep = 0;
      while (keep < order.length && (keep === 0 || sum < options.topP)) sum += scaled[order[keep++]!]!;
      order = order.slice(0, keep);
    }
    const total = order.reduce((s, i) => s + scaled[i]!, 0);
    let u = rng.next() * total;
    id = order[order.length - 1]!;
    for (const i of order) {
      u -= scaled[i]!;
      if (u < 0) {
        id = i;
        break;
      }
    }
  }
  return { id, probability: probs[id]!, entropy };
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
  /** Decoding steps run (each one forward pass of the whole batch through the cache). */
  readonly steps: number;
}

/**
 * Generation for many prompts at once, with a KV cache: prompts of one length run as one batch (the model
 * has no padding mask, so prompts are grouped by length; each group prefills once and then decodes one token
 * per sequence per forward pass). A sequence that has stopped keeps feeding its stop token until the group
 * is done; what it produces then is dropped. Tokens are drawn from `rng` in prompt order, step by step.
 */
export function generateBatch(
  model: LlamaModel,
  prompts: readonly (readonly number[])[],
  options: BatchGenerateOptions,
  rng: Rng,
): BatchGenerateResult {
  const stopIds = new Set(options.stopTokenIds ?? model.config.eosTokenIds);
  const tokens: number[][] = prompts.map(() => []);
  const finishReasons: ('length' | 'stop_token')[] = prompts.map(() => 'length');
  const groups = new Map<number, number[]>();
  prompts.forEach((prompt, i) => {
    if (prompt.length === 0)
      throw new Error(`prompt ${i} is empty; give at least one token (e.g. the BOS id)`);
    groups.set(prompt.length, [...(groups.get(prompt.length) ?? []), i]);
  });
  let steps = 0;
  for (const [length, members] of [...groups].sort((a, b) => a[0] - b[0])) {
    const maxTokens = Math.min(options.maxTokens, model.config.maxPositionEmbeddings - length);
    const cache = new KvCache(model.config.numLayers);
    const done = new Array<boolean>(members.length).fill(false);
    try {
      let inputs: number[][] = members.map((i) => [...prompts[i]!]);
      for (let step = 0; step < maxTokens && done.includes(false); step++) {
        const last = tf.tidy(() => {
          const { logits } = model.forward(inputs, { cache });
          const width = inputs[0]!.length;
          // The last position of each row: rows b * width + width - 1.
          return tf.gather(
            logits,
            tf.tensor1d(
              members.map((_, b) => b * width + width - 1),
              'int32',
            ),
          );
        });
        const all = last.dataSync() as Float32Array;
        const vocab = last.shape[1]!;
        steps++;
        const next: number[][] = [];
        members.forEach((index, b) => {
          if (done[b]) {
            next.push([inputs[b]![inputs[b]!.length - 1]!]);
            return;
          }
          const picked = pick(all.slice(b * vocab, (b + 1) * vocab), options, rng);
          if (stopIds.has(picked.id)) {
            done[b] = true;
            finishReasons[index] = 'stop_token';
            if (options.keepStopToken) tokens[index]!.push(picked.id);
          } else tokens[index]!.push(picked.id);
          next.push([picked.id]);
        });
        last.dispose();
        inputs = next;
      }
    } finally {
      cache.dispose();
    }
  }
  return { tokens, finishReasons, steps };
}
