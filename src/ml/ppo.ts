import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { gradientsByKey, type PassTimes } from './gradients.js';
import type { Batch } from './loss.js';
import type { LlamaModel } from './model.js';
import { tokenCrossEntropy } from './ops.js';
import type { Rng } from './rng.js';
import type { HostTensor } from './safetensors.js';

/**
 * The pieces of PPO for language models (Ouyang et al. 2022, as TRL's PPO trainer computes them): per-token
 * rewards with a KL penalty against a frozen reference, generalised advantage estimation, the clipped
 * surrogate and clipped value losses, and the adaptive KL coefficient of Ziegler et al. (2019).
 *
 * Every per-token array here has the flat layout of a loss.ts Batch: row b, position t at b * width + t,
 * where position t holds what the logits at t say about token t + 1. `mask` is 1 at the response tokens
 * (one contiguous run per row) and 0 at prompt and padding; values elsewhere are ignored.
 */

export const ppoOptionsSchema = z.object({
  /** Discount of future rewards (TRL's default: 1). */
  gamma: z.number().min(0).max(1).default(1),
  /** GAE's lambda (TRL's default: 0.95). */
  lambda: z.number().min(0).max(1).default(0.95),
  /** The ratio's clip range epsilon. */
  clipRange: z.number().positive().default(0.2),
  /** The value prediction's clip range around the rollout's values. */
  clipRangeValue: z.number().positive().default(0.2),
  /** Weight of the value loss beside the policy loss. */
  valueCoefficient: z.number().min(0).default(0.1),
  /** The KL penalty's starting coefficient. */
  klCoefficient: z.number().min(0).default(0.05),
  /** Adaptive KL: the KL per sequence the controller steers towards (absent: a fixed coefficient). */
  targetKl: z.number().positive().optional(),
  /** Adaptive KL: the horizon in rollouts over which the coefficient adapts (Ziegler et al.: 10000). */
  klHorizon: z.number().positive().default(10000),
  /** Passes over each rollout batch. */
  epochs: z.number().int().positive().default(4),
  /** Optimizer steps per pass (the rollout batch is split into this many minibatches). */
  minibatches: z.number().int().positive().default(1),
  /** Normalise advantages to mean 0, variance 1 over each rollout batch's response tokens. */
  whitenAdvantages: z.boolean().default(true),
});
export type PpoOptions = z.input<typeof ppoOptionsSchema>;
export type ResolvedPpoOptions = z.output<typeof ppoOptionsSchema>;

/** Per-row [start, end) of the mask's run of ones in a flat [rows * width] layout. */
export function responseSpans(mask: ArrayLike<number>, rows: number): Array<[number, number]> {
  if (rows < 1 || mask.length % rows !== 0)
    throw new Error(`a mask of ${mask.length} entries cannot hold ${rows} rows`);
  const width = mask.length / rows;
  const spans: Array<[number, number]> = [];
  for (let b = 0; b < rows; b++) {
    let start = -1;
    let end = -1;
    for (let t = 0; t < width; t++) {
      if (!mask[b * width + t]) continue;
      if (start < 0) start = t;
      else if (end !== t)
        throw new Error(`row ${b}: the response mask must be one contiguous run (gap before ${t})`);
      end = t + 1;
    }
    if (start < 0) throw new Error(`row ${b} has no response token`);
    spans.push([b * width + start, b * width + end]);
  }
  return spans;
}

export interface PenalisedRewards {
  /** Per-token rewards: -klCoefficient * kl, plus the sequence's score at its last response token. */
  readonly rewards: Float32Array;
  /** Per-token KL estimate log pi(a) - log ref(a) (zero outside the mask). */
  readonly kl: Float32Array;
  /** Each row's summed KL (the sequence-level KL that the adaptive controller and progress report). */
  readonly sequenceKl: Float32Array;
}

/**
 * InstructGPT's reward: the reward model's score of the whole answer, minus beta times the log-ratio of the
 * policy and the reference at every sampled token (the k1 estimator of KL(pi || ref), as TRL's default).
 */
export function penalisedRewards(
  scores: ArrayLike<number>,
  logProbs: ArrayLike<number>,
  refLogProbs: ArrayLike<number>,
  mask: ArrayLike<number>,
  klCoefficient: number,
): PenalisedRewards {
  const rows = scores.length;
  if (logProbs.length !== mask.length || refLogProbs.length !== mask.length)
    throw new Error('log-probabilities and mask must have the same layout');
  const spans = responseSpans(mask, rows);
  const rewards = new Float32Array(mask.length);
  const kl = new Float32Array(mask.length);
  const sequenceKl = new Float32Array(rows);
  spans.forEach(([start, end], b) => {
    for (let i = start; i < end; i++) {
      kl[i] = logProbs[i]! - refLogProbs[i]!;
      rewards[i] = -klCoefficient * kl[i]!;
      sequenceKl[b]! += kl[i]!;
    }
    rewards[end - 1]! += scores[b]!;
  });
  return { rewards, kl, sequenceKl };
}

/**
 * Generalised advantage estimation (Schulman et al. 2016) over each row's response tokens, backwards from
 * the last one, whose next value is 0 (the episode ends with the answer):
 * delta_t = r_t + gamma * V_{t+1} - V_t, A_t = delta_t + gamma * lambda * A_{t+1}; returns = A + V.
 */
export function generalisedAdvantages(
  rewards: ArrayLike<number>,
  values: ArrayLike<number>,
  mask: ArrayLike<number>,
  rows: number,
  gamma: number,
  lambda: number,
): { advantages: Float32Array; returns: Float32Array } {
  const advantages = new Float32Array(mask.length);
  const returns = new Float32Array(mask.length);
  for (const [start, end] of responseSpans(mask, rows)) {
    let next = 0;
    let running = 0;
    for (let i = end - 1; i >= start; i--) {
      const delta = rewards[i]! + gamma * next - values[i]!;
      running = delta + gamma * lambda * running;
      advantages[i] = running;
      returns[i] = running + values[i]!;
      next = values[i]!;
    }
  }
  return { advantages, returns };
}

/** Mean and variance (Bessel-corrected, as TRL's masked_var) of the masked entries. */
export function maskedMoments(
  x: ArrayLike<number>,
  mask: ArrayLike<number>,
): { mean: number; variance: number } {
  let n = 0;
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    if (!mask[i]) continue;
    n++;
    sum += x[i]!;
  }
  if (n === 0) throw new Error('the mask selects nothing');
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < x.length; i++) if (mask[i]) squares += (x[i]! - mean) ** 2;
  return { mean, variance: n > 1 ? squares / (n - 1) : 0 };
}

/** (x - mean) / sqrt(variance + 1e-8) over the masked entries; zero elsewhere. */
export function whiten(x: ArrayLike<number>, mask: ArrayLike<number>): Float32Array {
  const { mean, variance } = maskedMoments(x, mask);
  const scale = 1 / Math.sqrt(variance + 1e-8);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) if (mask[i]) out[i] = (x[i]! - mean) * scale;
  return out;
}

/** 1 - Var(returns - values) / Var(returns) over the masked entries: 1 is a perfect value head, 0 a constant. */
export function explainedVariance(
  values: ArrayLike<number>,
  returns: ArrayLike<number>,
  mask: ArrayLike<number>,
): number {
  const residual = Array.from(returns, (r, i) => r - values[i]!);
  const total = maskedMoments(returns, mask).variance;
  return total === 0 ? Number.NaN : 1 - maskedMoments(residual, mask).variance / total;
}

function maskedMean(x: tf.Tensor, mask: tf.Tensor1D, count: number): tf.Scalar {
  return tf.div(tf.sum(tf.mul(x, mask)), count) as tf.Scalar;
}

function maskCount(mask: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i] ? 1 : 0;
  if (n === 0) throw new Error('the mask selects nothing');
  return n;
}

export interface PolicyLossParts {
  /** masked mean of max(-A * ratio, -A * clip(ratio, 1 - eps, 1 + eps)). */
  readonly loss: tf.Scalar;
  /** Fraction of tokens where the clipped term was the larger one. */
  readonly clipFraction: tf.Scalar;
  /** 0.5 * masked mean of (log pi - log pi_old)^2 (TRL's approxkl). */
  readonly approxKl: tf.Scalar;
}

/** PPO's clipped surrogate objective (Schulman et al. 2017), negated to a loss, over the masked tokens. */
export function clippedPolicyLoss(
  logProbs: tf.Tensor1D,
  oldLogProbs: ArrayLike<number>,
  advantages: ArrayLike<number>,
  mask: ArrayLike<number>,
  clipRange: number,
): PolicyLossParts {
  if (!(clipRange > 0)) throw new Error(`the clip range must be positive, got ${clipRange}`);
  const count = maskCount(mask);
  const m = tf.tensor1d(Float32Array.from(mask));
  const logRatio = tf.sub(logProbs, tf.tensor1d(Float32Array.from(oldLogProbs)));
  const ratio = tf.exp(logRatio);
  const negAdv = tf.neg(tf.tensor1d(Float32Array.from(advantages)));
  const unclipped = tf.mul(negAdv, ratio);
  const clipped = tf.mul(negAdv, tf.clipByValue(ratio, 1 - clipRange, 1 + clipRange));
  return {
    loss: maskedMean(tf.maximum(unclipped, clipped), m, count),
    clipFraction: maskedMean(tf.cast(tf.greater(clipped, unclipped), 'float32'), m, count),
    approxKl: tf.mul(maskedMean(tf.square(logRatio), m, count), 0.5) as tf.Scalar,
  };
}

export interface ValueLossParts {
  /** 0.5 * masked mean of max((V - R)^2, (clip(V, V_old - eps, V_old + eps) - R)^2). */
  readonly loss: tf.Scalar;
  readonly clipFraction: tf.Scalar;
}

/** PPO's clipped value loss (as in TRL and OpenAI's baselines). */
export function clippedValueLoss(
  values: tf.Tensor1D,
  oldValues: ArrayLike<number>,
  returns: ArrayLike<number>,
  mask: ArrayLike<number>,
  clipRange: number,
): ValueLossParts {
  if (!(clipRange > 0)) throw new Error(`the value clip range must be positive, got ${clipRange}`);
  const count = maskCount(mask);
  const m = tf.tensor1d(Float32Array.from(mask));
  const old = tf.tensor1d(Float32Array.from(oldValues));
  const target = tf.tensor1d(Float32Array.from(returns));
  const clippedValues = tf.add(old, tf.clipByValue(tf.sub(values, old), -clipRange, clipRange));
  const unclipped = tf.square(tf.sub(values, target));
  const clipped = tf.square(tf.sub(clippedValues, target));
  return {
    loss: tf.mul(maskedMean(tf.maximum(unclipped, clipped), m, count), 0.5) as tf.Scalar,
    clipFraction: maskedMean(tf.cast(tf.greater(clipped, unclipped), 'float32'), m, count),
  };
}

/** log p(target) and the entropy of each row's next-token distribution, from logits [rows, vocab]. */
export function tokenLogProbsAndEntropy(
  logits: tf.Tensor2D,
  targets: Int32Array,
): { logProbs: tf.Tensor1D; entropy: tf.Tensor1D } {
  const logProbs = tf.neg(tokenCrossEntropy(logits, targets)) as tf.Tensor1D;
  const logSoftmax = tf.logSoftmax(logits);
  const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logSoftmax), logSoftmax), 1)) as tf.Tensor1D;
  return { logProbs, entropy };
}

/**
 * The adaptive KL coefficient of Ziegler et al. (2019), as TRL's AdaptiveKLController: after each batch,
 * beta *= 1 + clip(KL / target - 1, -0.2, 0.2) * rollouts / horizon. Without a target it stays fixed.
 */
export class KlController {
  value: number;

  constructor(
    initial: number,
    private readonly target?: number,
    private readonly horizon = 10000,
  ) {
    if (!(initial >= 0)) throw new Error(`the KL coefficient must be at least 0, got ${initial}`);
    this.value = initial;
  }

  update(currentKl: number, rollouts: number): number {
    if (this.target === undefined) return this.value;
    const error = Math.min(0.2, Math.max(-0.2, currentKl / this.target - 1));
    this.value *= 1 + (error * rollouts) / this.horizon;
    return this.value;
  }
}

export const VALUE_HEAD_TENSOR = 'v_head.weight';
let valueHeadCount = 0;

/**
 * PPO's value head: a hidden -> 1 linear layer (with a bias, as TRL's ValueHead) on the policy's last
 * hidden state at every position; it sits beside the model and is trained and checkpointed with it.
 */
export class ValueHead {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  private constructor(weight: tf.Tensor, bias: tf.Tensor) {
    const id = valueHeadCount++;
    this.weight = tf.variable(weight, true, `${VALUE_HEAD_TENSOR}#value-head-${id}`);
    this.bias = tf.variable(bias, true, `v_head.bias#value-head-${id}`);
  }

  /** normal(0, initializerRange) weights from `rng`, a zero bias. */
  static create(hiddenSize: number, rng: Rng, initializerRange = 0.02): ValueHead {
    if (!Number.isInteger(hiddenSize) || hiddenSize < 1)
      throw new Error(`a value head needs a positive hidden size, got ${hiddenSize}`);
    const data = new Float32Array(hiddenSize);
    for (let i = 0; i < hiddenSize; i++) data[i] = rng.normal() * initializerRange;
    const w = tf.tensor2d(data, [hiddenSize, 1]);
    const b = tf.zeros([1]);
    const head = new ValueHead(w, b);
    tf.dispose([w, b]);
    return head;
  }

  get hiddenSize(): number {
    return this.weight.shape[0]!;
  }

  /** The trainer's keys: v_head.weight ([hidden, 1]) and v_head.bias ([1]). */
  variables(): Map<string, tf.Variable> {
    return new Map([
      [VALUE_HEAD_TENSOR, this.weight],
      ['v_head.bias', this.bias],
    ]);
  }

  /** Values [rows] from hidden states [rows, hidden]. */
  apply(hidden: tf.Tensor2D): tf.Tensor1D {
    return tf.reshape(tf.add(tf.matMul(hidden, this.weight as tf.Tensor2D), this.bias), [
      hidden.shape[0],
    ]) as tf.Tensor1D;
  }

  toHost(): Map<string, HostTensor> {
    return new Map(
      [...this.variables()].map(([key, v]) => [
        key,
        { shape: v.shape, data: Float32Array.from(v.dataSync() as Float32Array) },
      ]),
    );
  }

  dispose(): void {
    this.weight.dispose();
    this.bias.dispose();
  }
}

/** One minibatch of a rollout batch, as the update sees it; per-token arrays in `batch`'s flat layout. */
export interface PpoMinibatch {
  /** Prompt + response sequences; its lossWeights are the response mask. */
  readonly batch: Batch;
  readonly oldLogProbs: Float32Array;
  readonly oldValues: Float32Array;
  readonly advantages: Float32Array;
  readonly returns: Float32Array;
}

export interface PpoGradientResult {
  readonly grads: Map<string, tf.Tensor>;
  readonly loss: number;
  readonly policyLoss: number;
  readonly valueLoss: number;
  readonly clipFraction: number;
  readonly valueClipFraction: number;
  readonly approxKl: number;
  readonly entropy: number;
  readonly time: PassTimes;
}

/**
 * PPO's loss on one minibatch, policy loss + valueCoefficient * value loss, and its gradients for the
 * policy's trainable variables and the value head. LoRA dropout stays off (as TRL turns dropout off), so
 * the first pass over a rollout batch starts at ratio 1.
 */
export function computePpoGradients(
  model: LlamaModel,
  valueHead: ValueHead,
  minibatch: PpoMinibatch,
  options: Pick<ResolvedPpoOptions, 'clipRange' | 'clipRangeValue' | 'valueCoefficient'>,
): PpoGradientResult {
  const { batch } = minibatch;
  const mask = batch.lossWeights;
  const variables = new Map(model.trainableVariables());
  for (const [key, v] of valueHead.variables()) variables.set(key, v);
  const result = gradientsByKey(variables, () => {
    const { logits, hidden } = model.forward(batch.inputs);
    const { logProbs, entropy } = tokenLogProbsAndEntropy(logits, batch.targets);
    const values = valueHead.apply(hidden);
    const policy = clippedPolicyLoss(
      logProbs,
      minibatch.oldLogProbs,
      minibatch.advantages,
      mask,
      options.clipRange,
    );
    const value = clippedValueLoss(
      values,
      minibatch.oldValues,
      minibatch.returns,
      mask,
      options.clipRangeValue,
    );
    const m = tf.tensor1d(mask);
    const count = maskCount(mask);
    return {
      loss: tf.add(policy.loss, tf.mul(value.loss, options.valueCoefficient)) as tf.Scalar,
      extra: {
        policyLoss: policy.loss,
        valueLoss: value.loss,
        clipFraction: policy.clipFraction,
        valueClipFraction: value.clipFraction,
        approxKl: policy.approxKl,
        entropy: maskedMean(entropy, m, count),
      },
    };
  });
  const e = result.extra;
  return {
    grads: result.grads,
    loss: result.loss,
    policyLoss: e.policyLoss[0]!,
    valueLoss: e.valueLoss[0]!,
    clipFraction: e.clipFraction[0]!,
    valueClipFraction: e.valueClipFraction[0]!,
    approxKl: e.approxKl[0]!,
    entropy: e.entropy[0]!,
    time: result.time,
  };
}
