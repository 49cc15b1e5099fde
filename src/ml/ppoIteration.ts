import { generateBatch, type BatchGenerateOptions } from './generate.js';
import { makeBatch, type Batch, type TrainingExample } from './loss.js';
import type { LlamaModel } from './model.js';
import { readInTidy } from './ops.js';
import {
  explainedVariance,
  generalisedAdvantages,
  maskedMoments,
  penalisedRewards,
  tokenLogProbsAndEntropy,
  whiten,
  type KlController,
  type PpoMinibatch,
  type ResolvedPpoOptions,
  type ValueHead,
} from './ppo.js';
import { Rng } from './rng.js';
import type { PpoStepMetrics, Trainer } from './trainer.js';

/** One sampled answer: the prompt's tokens and the policy's response (its stop token included). */
export interface Rollout {
  readonly prompt: readonly number[];
  readonly response: readonly number[];
}

/** Scores whole answers: the reward model's scalar for each rollout. */
export type RolloutScorer = (rollouts: readonly Rollout[]) => ArrayLike<number>;

/** What one PPO iteration saw and did: the progress a run reports. */
export interface PpoIterationStatistics {
  /** Mean reward-model score of the rollouts (without the KL penalty). */
  readonly meanReward: number;
  readonly minReward: number;
  readonly maxReward: number;
  /** Mean over rollouts of the summed per-token KL estimate log pi - log ref. */
  readonly meanKl: number;
  /** Mean entropy (nats) of the policy's next-token distribution at the response tokens, while sampling. */
  readonly entropy: number;
  /** Mean response length in tokens. */
  readonly meanResponseLength: number;
  /** Over the update's minibatches: */
  readonly clipFraction: number;
  readonly valueLoss: number;
  readonly policyLoss: number;
  readonly approxKl: number;
  /** Of the value head's rollout values against the returns. */
  readonly explainedVariance: number;
  /** The KL coefficient used for this batch's rewards, and the one after the controller's update. */
  readonly klCoefficient: number;
  readonly nextKlCoefficient: number;
  readonly rollouts: number;
  /** Time spent in each phase, ms. */
  readonly timings: { readonly rolloutMs: number; readonly scoringMs: number; readonly updateMs: number };
}

export interface PpoIterationInput {
  readonly trainer: Trainer;
  readonly valueHead: ValueHead;
  /** The frozen reference; absent with LoRA, whose reference is the policy without its adapter. */
  readonly reference?: LlamaModel;
  readonly prompts: readonly (readonly number[])[];
  readonly scorer: RolloutScorer;
  readonly klController: KlController;
  readonly options: ResolvedPpoOptions;
  readonly generation: Omit<BatchGenerateOptions, 'keepStopToken'>;
  /** Seeds this iteration's sampling and minibatch order: the same seed gives the same iteration. */
  readonly seed: number;
  readonly padId?: number;
  /** Called after each optimizer step. */
  readonly onStep?: (metrics: PpoStepMetrics) => void;
}

/**
 * One PPO iteration: sample an answer per prompt from the policy (batched, KV cache), score them with the
 * reward model, compute the old log-probabilities and values and the reference's log-probabilities, turn
 * scores and KL into per-token rewards, estimate advantages with GAE, then run `epochs` passes of
 * `minibatches` optimizer steps over the batch, and adapt the KL coefficient.
 */
export function ppoIteration(input: PpoIterationInput): PpoIterationStatistics {
  const { trainer, valueHead, options } = input;
  const policy = trainer.model;
  const padId = input.padId ?? 0;
  const rng = new Rng(input.seed);
  if (input.prompts.length === 0) throw new Error('a PPO iteration needs at least one prompt');

  let started = performance.now();
  const generated = generateBatch(policy, input.prompts, { ...input.generation, keepStopToken: true }, rng);
  const rollouts: Rollout[] = input.prompts.map((prompt, i) => ({ prompt, response: generated.tokens[i]! }));
  const kept = rollouts.map((r, i) => ({ r, i })).filter(({ r }) => r.response.length > 0);
  if (kept.length === 0) throw new Error('no prompt left room for a response within the context');
  const rolloutMs = performance.now() - started;

  started = performance.now();
  const scores = Float32Array.from(input.scorer(kept.map(({ r }) => r)));
  if (scores.length !== kept.length)
    throw new Error(`the scorer gave ${scores.length} scores for ${kept.length} rollouts`);
  const scoringMs = performance.now() - started;

  started = performance.now();
  const examples: TrainingExample[] = kept.map(({ r }) => ({
    ids: [...r.prompt, ...r.response],
    lossMask: [...r.prompt.map(() => 0), ...r.response.map(() => 1)],
  }));
  const batch = makeBatch(examples, padId);
  const rows = examples.length;
  const width = batch.targets.length / rows;
  const mask = batch.lossWeights;
  const old = readInTidy(() => {
    const { logits, hidden } = policy.forward(batch.inputs);
    const { logProbs, entropy } = tokenLogProbsAndEntropy(logits, batch.targets);
    return {
      logProbs: Float32Array.from(logProbs.dataSync()),
      entropy: Float32Array.from(entropy.dataSync()),
      values: Float32Array.from(valueHead.apply(hidden).dataSync()),
    };
  });
  const refLogProbs = referenceTokenLogProbs(policy, input.reference, batch);
  const klCoefficient = input.klController.value;
  const { rewards, sequenceKl } = penalisedRewards(scores, old.logProbs, refLogProbs, mask, klCoefficient);
  const { advantages: rawAdvantages, returns } = generalisedAdvantages(
    rewards,
    old.values,
    mask,
    rows,
    options.gamma,
    options.lambda,
  );
  const advantages = options.whitenAdvantages ? whiten(rawAdvantages, mask) : rawAdvantages;

  const sums = { clipFraction: 0, valueLoss: 0, policyLoss: 0, approxKl: 0 };
  let updates = 0;
  const size = Math.ceil(rows / options.minibatches);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const order = shuffled(rows, rng);
    for (let start = 0; start < rows; start += size) {
      const picked = order.slice(start, start + size);
      const metrics = trainer.trainPpoStep(
        minibatchOf(examples, picked, width, padId, { old, advantages, returns }),
        options,
      );
      sums.clipFraction += metrics.clipFraction;
      sums.valueLoss += metrics.valueLoss;
      sums.policyLoss += metrics.policyLoss;
      sums.approxKl += metrics.approxKl;
      updates++;
      input.onStep?.(metrics);
    }
  }
  const meanKl = mean(sequenceKl);
  const nextKlCoefficient = input.klController.update(meanKl, rows);
  const updateMs = performance.now() - started;
  return {
    meanReward: mean(scores),
    minReward: Math.min(...scores),
    maxReward: Math.max(...scores),
    meanKl,
    entropy: maskedMoments(old.entropy, mask).mean,
    meanResponseLength: mean(kept.map(({ r }) => r.response.length)),
    clipFraction: sums.clipFraction / updates,
    valueLoss: sums.valueLoss / updates,
    policyLoss: sums.policyLoss / updates,
    approxKl: sums.approxKl / updates,
    explainedVariance: explainedVariance(old.values, returns, mask),
    klCoefficient,
    nextKlCoefficient,
    rollouts: rows,
    timings: { rolloutMs, scoringMs, updateMs },
  };
}

/** Per-token log-probabilities under the frozen reference (or the policy with its adapter off). */
export function referenceTokenLogProbs(
  policy: LlamaModel,
  reference: LlamaModel | undefined,
  batch: Batch,
): Float32Array {
  let model = reference;
  const adapter = policy.lora;
  if (!model) {
    if (!adapter) throw new Error('a PPO reference needs a frozen model or a LoRA adapter to switch off');
    model = policy;
    policy.lora = undefined;
  }
  try {
    return readInTidy(() =>
      Float32Array.from(
        tokenLogProbsAndEntropy(model.forward(batch.inputs).logits, batch.targets).logProbs.dataSync(),
      ),
    );
  } finally {
    if (!reference) policy.lora = adapter;
  }
}

/** The rows `picked` of a rollout batch, padded to the batch's width so the flat arrays line up. */
function minibatchOf(
  examples: readonly TrainingExample[],
  picked: readonly number[],
  width: number,
  padId: number,
  arrays: {
    old: { logProbs: Float32Array; values: Float32Array };
    advantages: Float32Array;
    returns: Float32Array;
  },
): PpoMinibatch {
  const padded = picked.map((i) => {
    const e = examples[i]!;
    const extra = width + 1 - e.ids.length;
    return {
      ids: [...e.ids, ...new Array<number>(extra).fill(padId)],
      lossMask: [...e.lossMask, ...new Array<number>(extra).fill(0)],
    };
  });
  const rowsOf = (source: Float32Array) => {
    const out = new Float32Array(picked.length * width);
    picked.forEach((i, b) => out.set(source.subarray(i * width, (i + 1) * width), b * width));
    return out;
  };
  return {
    batch: makeBatch(padded, padId),
    oldLogProbs: rowsOf(arrays.old.logProbs),
    oldValues: rowsOf(arrays.old.values),
    advantages: rowsOf(arrays.advantages),
    returns: rowsOf(arrays.returns),
  };
}

function shuffled(n: number, rng: Rng): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}
