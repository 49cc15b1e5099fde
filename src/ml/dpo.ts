import * as tf from '@tensorflow/tfjs';
import { gradientsByKey, type PassTimes } from './gradients.js';
import { makeBatch, type Batch, type TrainingExample } from './loss.js';
import type { LlamaModel } from './model.js';
import { readInTidy, tokenCrossEntropy } from './ops.js';
import type { Rng } from './rng.js';

/** A prompt answered twice: the answer people preferred and the one they did not, as training sequences. */
export interface PreferencePair {
  readonly chosen: TrainingExample;
  readonly rejected: TrainingExample;
}

/** Summed response-token log-probabilities of each pair's answers (one entry per pair). */
export interface PairLogProbs {
  readonly chosen: Float32Array;
  readonly rejected: Float32Array;
}

export interface DpoParts {
  /** -mean(log sigmoid(margin)). */
  readonly loss: tf.Scalar;
  /** Implicit reward margins beta * ((pc - rc) - (pr - rr)), one per pair. */
  readonly margins: tf.Tensor1D;
}

/**
 * The DPO loss (Rafailov et al. 2023) from summed response log-probabilities of the policy and the frozen
 * reference: -mean(log sigmoid(beta * ((pc - rc) - (pr - rr)))). log sigmoid(x) is -softplus(-x), which
 * neither overflows for large |x| nor loses its gradient.
 */
export function dpoLoss(
  policyChosen: tf.Tensor1D,
  policyRejected: tf.Tensor1D,
  referenceChosen: tf.Tensor1D,
  referenceRejected: tf.Tensor1D,
  beta: number,
): DpoParts {
  if (!(beta > 0)) throw new Error(`DPO beta must be positive, got ${beta}`);
  const margins = tf.mul(
    tf.sub(tf.sub(policyChosen, referenceChosen), tf.sub(policyRejected, referenceRejected)),
    beta,
  ) as tf.Tensor1D;
  const loss = tf.mean(tf.softplus(tf.neg(margins))) as tf.Scalar;
  return { loss, margins };
}

/** What the margins of a batch say: how often the chosen answer wins, and by how much on average. */
export interface PreferenceStatistics {
  /** Fraction of pairs whose margin is positive. */
  readonly rewardAccuracy: number;
  /** Mean implicit reward margin. */
  readonly rewardMargin: number;
}

export function preferenceStatistics(margins: ArrayLike<number>): PreferenceStatistics {
  if (margins.length === 0) throw new Error('preference statistics need at least one margin');
  let wins = 0;
  let sum = 0;
  for (let i = 0; i < margins.length; i++) {
    wins += margins[i]! > 0 ? 1 : 0;
    sum += margins[i]!;
  }
  return { rewardAccuracy: wins / margins.length, rewardMargin: sum / margins.length };
}

/**
 * The batch a preference step runs on: every pair's chosen sequence, then every rejected one, padded
 * together so one forward pass scores both.
 */
export function makePreferenceBatch(pairs: readonly PreferencePair[], padId = 0): Batch {
  if (pairs.length === 0) throw new Error('a preference batch needs at least one pair');
  return makeBatch([...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)], padId);
}

/**
 * Sum over each sequence's response tokens (lossMask, as the response-only SFT loss) of log p(token | the
 * tokens before it): a [batch] tensor from logits [batch * width, vocab].
 */
export function sequenceLogProbs(logits: tf.Tensor2D, batch: Batch): tf.Tensor1D {
  const rows = batch.inputs.length;
  const width = batch.targets.length / rows;
  const logp = tf.neg(tokenCrossEntropy(logits, batch.targets));
  return tf.sum(tf.reshape(tf.mul(logp, tf.tensor1d(batch.lossWeights)), [rows, width]), 1) as tf.Tensor1D;
}

/**
 * The frozen reference's log-probabilities of a preference batch, computed without gradients: `reference`
 * when given (full fine-tuning keeps a frozen copy of the base), else the policy with its LoRA adapter
 * switched off.
 */
export function referenceLogProbs(
  policy: LlamaModel,
  reference: LlamaModel | undefined,
  batch: Batch,
): PairLogProbs {
  const pairs = batch.inputs.length / 2;
  let model = reference;
  const adapter = policy.lora;
  if (!model) {
    if (!adapter) throw new Error('a DPO reference needs a frozen model or a LoRA adapter to switch off');
    model = policy;
    policy.lora = undefined;
  }
  try {
    const all = readInTidy(
      () => sequenceLogProbs(model.forward(batch.inputs).logits, batch).dataSync() as Float32Array,
    );
    return {
      chosen: Float32Array.from(all.subarray(0, pairs)),
      rejected: Float32Array.from(all.subarray(pairs)),
    };
  } finally {
    if (!reference) policy.lora = adapter;
  }
}

export interface DpoGradientResult {
  readonly grads: Map<string, tf.Tensor>;
  readonly loss: number;
  readonly margins: Float32Array;
  readonly time: PassTimes;
}

/** DPO loss and the gradients of the policy's trainable variables on one preference batch. */
export function computeDpoGradients(
  model: LlamaModel,
  batch: Batch,
  reference: PairLogProbs,
  beta: number,
  rng: Rng,
): DpoGradientResult {
  const pairs = batch.inputs.length / 2;
  const result = gradientsByKey(model.trainableVariables(), () => {
    const { logits } = model.forward(batch.inputs, { training: true, rng });
    const logps = sequenceLogProbs(logits, batch);
    const parts = dpoLoss(
      tf.slice(logps, 0, pairs),
      tf.slice(logps, pairs, pairs),
      tf.tensor1d(reference.chosen),
      tf.tensor1d(reference.rejected),
      beta,
    );
    return { loss: parts.loss, extra: { margins: parts.margins } };
  });
  return { grads: result.grads, loss: result.loss, margins: result.extra.margins, time: result.time };
}
