import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AdamW } from './adamw.js';
import { DEFAULT_LORA, LoraAdapter, loraOptionsSchema, type LoraOptions } from './lora.js';
import { backendInfo } from './backend.js';
import { computeGradients, type PassTimes } from './gradients.js';
import {
  computeDpoGradients,
  makePreferenceBatch,
  preferenceStatistics,
  referenceLogProbs,
  type PreferencePair,
} from './dpo.js';
import {
  causalLmLoss,
  DEFAULT_LOSS,
  lossOptionsSchema,
  makeBatch,
  targetCounts,
  type TrainingExample,
} from './loss.js';
import { GradientWorkerPool } from './parallel.js';
import type { LlamaModel } from './model.js';
import { Rng, type RngState } from './rng.js';
import { decodeSafetensors, encodeSafetensors, type HostTensor } from './safetensors.js';
import { learningRateAt } from './schedule.js';
import { computeRewardGradients, REWARD_HEAD_TENSOR, type RewardHead } from './rewardModel.js';
import { computePpoGradients, type PpoMinibatch, type ResolvedPpoOptions, type ValueHead } from './ppo.js';

export const trainerOptionsSchema = z.object({
  mode: z.enum(['lora', 'full']),
  lora: loraOptionsSchema.optional(),
  learningRate: z.number().positive(),
  weightDecay: z.number().min(0).default(0),
  beta1: z.number().min(0).max(1).default(0.9),
  beta2: z.number().min(0).max(1).default(0.999),
  epsilon: z.number().positive().default(1e-8),
  warmupSteps: z.number().int().min(0).default(0),
  totalSteps: z.number().int().positive(),
  minLrRatio: z.number().min(0).max(1).default(0),
  maxGradNorm: z.number().positive().nullable().default(1),
  gradientAccumulation: z.number().int().positive().default(1),
  loss: lossOptionsSchema.default(DEFAULT_LOSS),
  padId: z.number().int().min(0).default(0),
  seed: z.number().int().default(0),
});
export type TrainerOptions = z.input<typeof trainerOptionsSchema>;
type ResolvedOptions = z.output<typeof trainerOptionsSchema>;

export interface StepMetrics {
  /** Optimizer updates done so far (1 after the first). */
  readonly step: number;
  readonly loss: number;
  readonly baseLoss: number;
  readonly entityLoss: number;
  readonly learningRate: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  readonly tokens: number;
  readonly tokensPerSecond: number;
  /** Preference steps: the fraction of pairs whose (implicit) reward prefers the chosen answer. */
  readonly rewardAccuracy?: number;
  /**
   * Preference steps: the mean reward margin; DPO's implicit beta * ((pc - rc) - (pr - rr)), a reward
   * model's r_chosen - r_rejected.
   */
  readonly rewardMargin?: number;
  /** Where the step's wall time went on the training thread, and on the gradient workers when there are any. */
  readonly phases: StepPhases;
}

/**
 * Milliseconds of one optimizer step by phase. Timestamps at the phase boundaries, with no sync added: the
 * wasm and cpu backends finish every kernel before the op returns. Forward and backward are the passes of
 * the loss being trained (supervised, DPO, reward model, PPO); `other` is what the phases leave of the step's
 * wall time (batching, summing micro-batch gradients, reading the loss, a DPO step's reference pass).
 */
export interface StepPhases {
  readonly forwardMs: number;
  readonly backwardMs: number;
  readonly optimizerMs: number;
  /**
   * Data-parallel exchange on this thread: reading the trainable weights out for the workers, posting the
   * shards, turning their gradients into tensors and adding them up.
   */
  readonly exchangeMs: number;
  /** Waiting for the gradient workers after this thread's own shard was done. */
  readonly idleMs: number;
  readonly otherMs: number;
  /** Each gradient worker's busy time (its passes and its side of the exchange) and idle rest of the step. */
  readonly workers: readonly WorkerPhases[];
}

export interface WorkerPhases {
  readonly forwardMs: number;
  readonly backwardMs: number;
  readonly exchangeMs: number;
  readonly idleMs: number;
}

/** Phase times a step adds up before finishStep completes them. */
interface PhaseTally {
  forwardMs: number;
  backwardMs: number;
  exchangeMs: number;
  idleMs: number;
  /** Busy time per worker, summed over micro-batches. */
  workers: { forwardMs: number; backwardMs: number; exchangeMs: number }[];
}

function newTally(): PhaseTally {
  return { forwardMs: 0, backwardMs: 0, exchangeMs: 0, idleMs: 0, workers: [] };
}

/** What a trainer trains besides the model's own trainable variables. */
export interface TrainerParts {
  /** A reward model's scalar head: trained with the backbone by trainRewardStep, saved with the state. */
  readonly rewardHead?: RewardHead;
  /** PPO's value head: trained with the policy by trainPpoStep, saved with the state. */
  readonly valueHead?: ValueHead;
}

/** What one PPO optimizer step reports beside the usual metrics. */
export interface PpoStepMetrics extends StepMetrics {
  readonly policyLoss: number;
  readonly valueLoss: number;
  readonly clipFraction: number;
  readonly valueClipFraction: number;
  readonly approxKl: number;
  readonly entropy: number;
}

/** What a DPO step compares the policy with. */
export interface DpoReference {
  readonly beta: number;
  /** A frozen model (full fine-tuning); absent with LoRA, whose reference is the model without its adapter. */
  readonly model?: LlamaModel;
}

const stateSchema = z.object({
  format: z.literal('tuneledger-trainer-state/1'),
  step: z.number().int().min(0),
  rng: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  options: z.unknown(),
});

/**
 * Trains a model in place, fully or through a LoRA adapter it attaches: AdamW (decoupled weight decay as
 * torch.optim.AdamW), warm-up then cosine learning rate, clipping by global norm, gradient accumulation,
 * masked loss. Everything random comes from one seeded generator, saved with the state.
 */
export class Trainer {
  readonly model: LlamaModel;
  readonly options: ResolvedOptions;
  private rng: Rng;
  private stepCount = 0;
  private readonly optimizer: AdamW;
  private pool: GradientWorkerPool | undefined;
  private readonly rewardHead: RewardHead | undefined;
  private readonly valueHead: ValueHead | undefined;
  onStep: ((metrics: StepMetrics) => void) | undefined;

  constructor(model: LlamaModel, options: TrainerOptions, parts: TrainerParts = {}) {
    const parsed = trainerOptionsSchema.safeParse(options);
    if (!parsed.success) {
      throw new Error(
        `invalid trainer options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    this.model = model;
    this.options = parsed.data;
    this.rewardHead = parts.rewardHead;
    this.valueHead = parts.valueHead;
    for (const head of [this.valueHead].filter((h) => h !== undefined)) {
      if (head.hiddenSize !== model.config.hiddenSize)
        throw new Error(
          `the value head reads ${head.hiddenSize} hidden units, the model has ${model.config.hiddenSize}`,
        );
    }
    if (this.rewardHead && this.rewardHead.hiddenSize !== model.config.hiddenSize) {
      throw new Error(
        `the reward head reads ${this.rewardHead.hiddenSize} hidden units, the model has ${model.config.hiddenSize}`,
      );
    }
    this.rng = new Rng(this.options.seed);
    if (this.options.mode === 'lora') {
      model.setBaseTrainable(false);
      if (!model.lora) {
        const lora = (this.options.lora ?? DEFAULT_LORA) as LoraOptions;
        model.lora = LoraAdapter.create(model.config, lora, this.rng.seed());
      }
    } else {
      model.lora?.dispose();
      model.lora = undefined;
      model.setBaseTrainable(true);
    }
    this.optimizer = new AdamW(this.variables(), this.options);
  }

  get step(): number {
    return this.stepCount;
  }

  private variables(): Map<string, tf.Variable> {
    const variables = this.model.trainableVariables();
    if (this.rewardHead) variables.set(REWARD_HEAD_TENSOR, this.rewardHead.variable);
    if (this.valueHead) for (const [key, v] of this.valueHead.variables()) variables.set(key, v);
    return variables;
  }

  /**
   * One optimizer update over `examples`, split into `gradientAccumulation` micro-batches whose gradients
   * are averaged.
   */
  trainStep(examples: readonly TrainingExample[]): StepMetrics {
    const started = performance.now();
    const parts = this.microBatches(examples);
    const sums = new Map<string, tf.Tensor>();
    let loss = 0;
    let baseLoss = 0;
    let entityLoss = 0;
    let tokens = 0;
    const tally = newTally();
    for (const part of parts) {
      const batch = makeBatch(part, this.options.padId);
      tokens += batch.tokens;
      const result = computeGradients(this.model, batch, this.options.loss, this.rng);
      tally.forwardMs += result.time.forwardMs;
      tally.backwardMs += result.time.backwardMs;
      loss += result.total / parts.length;
      baseLoss += result.base / parts.length;
      entityLoss += result.entity / parts.length;
      accumulate(sums, result.grads);
    }
    return this.finishStep(sums, parts.length, { loss, baseLoss, entityLoss, tokens }, started, tally);
  }

  /**
   * One DPO update over preference pairs (Rafailov et al. 2023), split into micro-batches like trainStep.
   * Reference log-probabilities are computed once per micro-batch, outside the gradient tape. Runs on this
   * thread only: the gradient workers compute the supervised loss.
   */
  trainPreferenceStep(pairs: readonly PreferencePair[], reference: DpoReference): StepMetrics {
    if (this.options.mode === 'full' && !reference.model)
      throw new Error('full fine-tuning with DPO needs a frozen reference model');
    return this.pairwiseStep(pairs, (part) => {
      const batch = makePreferenceBatch(part, this.options.padId);
      const logps = referenceLogProbs(this.model, reference.model, batch);
      return {
        ...computeDpoGradients(this.model, batch, logps, reference.beta, this.rng),
        tokens: batch.tokens,
      };
    });
  }

  /**
   * One reward-model update over preference pairs: the pairwise loss mean(softplus(-(r_chosen - r_rejected)))
   * of the scores the reward head reads from the backbone, split into micro-batches like trainStep; the head
   * is trained with the adapter (or the full weights). Runs on this thread only, as DPO does.
   */
  trainRewardStep(pairs: readonly PreferencePair[]): StepMetrics {
    const head = this.rewardHead;
    if (!head) throw new Error('a reward step needs a trainer built with a reward head (parts.rewardHead)');
    return this.pairwiseStep(pairs, (part) => ({
      ...computeRewardGradients(this.model, head, part, this.options.padId, this.rng),
      tokens: part.reduce((a, p) => a + p.chosen.ids.length + p.rejected.ids.length, 0),
    }));
  }

  /**
   * One PPO optimizer update on a minibatch of a rollout batch: the clipped surrogate plus the weighted
   * clipped value loss, for the policy's trainable variables and the value head (parts.valueHead). The
   * whole minibatch is one micro-batch: gradientAccumulation does not apply.
   */
  trainPpoStep(
    minibatch: PpoMinibatch,
    options: Pick<ResolvedPpoOptions, 'clipRange' | 'clipRangeValue' | 'valueCoefficient'>,
  ): PpoStepMetrics {
    const head = this.valueHead;
    if (!head) throw new Error('a PPO step needs a trainer built with a value head (parts.valueHead)');
    const started = performance.now();
    const result = computePpoGradients(this.model, head, minibatch, options);
    const sums = new Map(result.grads);
    const metrics = this.finishStep(
      sums,
      1,
      { loss: result.loss, baseLoss: result.policyLoss, entityLoss: 0, tokens: minibatch.batch.tokens },
      started,
      { ...newTally(), ...result.time },
    );
    return {
      ...metrics,
      policyLoss: result.policyLoss,
      valueLoss: result.valueLoss,
      clipFraction: result.clipFraction,
      valueClipFraction: result.valueClipFraction,
      approxKl: result.approxKl,
      entropy: result.entropy,
    };
  }

  /**
   * A preference update (DPO, reward model): `micro` gives each micro-batch's loss, per-pair margins,
   * gradients and tokens; the gradients are averaged into one optimizer step, the margins summarised.
   */
  private pairwiseStep(
    pairs: readonly PreferencePair[],
    micro: (part: readonly PreferencePair[]) => {
      loss: number;
      margins: ArrayLike<number>;
      grads: Map<string, tf.Tensor>;
      tokens: number;
      time: PassTimes;
    },
  ): StepMetrics {
    const started = performance.now();
    const parts = this.microBatches(pairs);
    const sums = new Map<string, tf.Tensor>();
    const margins: number[] = [];
    let loss = 0;
    let tokens = 0;
    const tally = newTally();
    for (const part of parts) {
      const result = micro(part);
      tally.forwardMs += result.time.forwardMs;
      tally.backwardMs += result.time.backwardMs;
      tokens += result.tokens;
      loss += result.loss / parts.length;
      margins.push(...Array.from(result.margins));
      accumulate(sums, result.grads);
    }
    return this.finishStep(
      sums,
      parts.length,
      { loss, baseLoss: loss, entityLoss: 0, tokens, ...preferenceStatistics(margins) },
      started,
      tally,
    );
  }

  /**
   * The same update as trainStep with each micro-batch split between this thread and the gradient workers
   * started by startWorkers (data parallel; shards normalise by the whole micro-batch's token counts, so the
   * sum of their gradients is the micro-batch's). Without workers it is trainStep.
   */
  async trainStepAsync(examples: readonly TrainingExample[]): Promise<StepMetrics> {
    const pool = this.pool;
    if (!pool) return this.trainStep(examples);
    const started = performance.now();
    const parts = this.microBatches(examples);
    const sums = new Map<string, tf.Tensor>();
    let loss = 0;
    let baseLoss = 0;
    let entityLoss = 0;
    let tokens = 0;
    const tally = newTally();
    let exchangeFrom = performance.now();
    // dataSync's array is cloned by postMessage, not transferred: no copy of our own is needed.
    const trainable = [...this.variables()].map(
      ([key, v]) => [key, v.dataSync() as Float32Array] as [string, Float32Array],
    );
    tally.exchangeMs += performance.now() - exchangeFrom;
    for (const part of parts) {
      const whole = makeBatch(part, this.options.padId);
      const counts = targetCounts(whole);
      tokens += whole.tokens;
      const shards = splitEven(part, pool.size + 1).filter((s) => s.length > 0);
      const [own, ...others] = shards;
      exchangeFrom = performance.now();
      const pending = pool.compute(
        others.map((shard) => ({
          trainable,
          examples: shard,
          padId: this.options.padId,
          loss: this.options.loss,
          counts,
          seed: this.rng.seed(),
        })),
      );
      tally.exchangeMs += performance.now() - exchangeFrom;
      const ownBatch = makeBatch(own!, this.options.padId);
      const local = computeGradients(this.model, ownBatch, this.options.loss, this.rng, counts);
      tally.forwardMs += local.time.forwardMs;
      tally.backwardMs += local.time.backwardMs;
      accumulate(sums, local.grads);
      let total = local.total;
      let base = local.base;
      let entity = local.entity;
      const waitFrom = performance.now();
      const replies = await pending;
      exchangeFrom = performance.now();
      tally.idleMs += exchangeFrom - waitFrom;
      replies.forEach((remote, i) => {
        const busy = (tally.workers[i] ??= { forwardMs: 0, backwardMs: 0, exchangeMs: 0 });
        busy.forwardMs += remote.time.forwardMs;
        busy.backwardMs += remote.time.backwardMs;
        busy.exchangeMs += remote.time.exchangeMs;
      });
      for (const remote of replies) {
        accumulate(
          sums,
          new Map(
            remote.grads.map(
              ([key, data]) => [key, tf.tensor(data, this.variables().get(key)!.shape)] as const,
            ),
          ),
        );
        total += remote.total;
        base += remote.base;
        entity += remote.entity;
      }
      tally.exchangeMs += performance.now() - exchangeFrom;
      // A batch without entity tokens is trained on base alone (see causalLmLoss).
      loss += total / parts.length;
      baseLoss += base / parts.length;
      entityLoss += entity / parts.length;
    }
    return this.finishStep(sums, parts.length, { loss, baseLoss, entityLoss, tokens }, started, tally);
  }

  /**
   * Starts `count` gradient workers (worker_threads, each with its own tfjs backend) for trainStepAsync;
   * `entry` is the worker script when it is not the compiled gradientWorker.js beside the engine (a bundle).
   */
  async startWorkers(count: number, entry?: string | URL): Promise<void> {
    await this.stopWorkers();
    if (count < 1) return;
    this.pool = await GradientWorkerPool.start(
      count,
      {
        configJson: this.model.config.json,
        base: [...this.model.toTensors()],
        mode: this.options.mode,
        lora: this.model.lora?.options,
        backend: (await backendInfo())?.backend === 'tensorflow' ? undefined : (await backendInfo())?.backend,
      },
      entry,
    );
  }

  async stopWorkers(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
  }

  private microBatches<T>(examples: readonly T[]): T[][] {
    const parts = this.options.gradientAccumulation;
    if (examples.length < parts)
      throw new Error(`${examples.length} examples cannot fill ${parts} gradient-accumulation micro-batches`);
    const size = Math.ceil(examples.length / parts);
    return Array.from({ length: parts }, (_, p) => examples.slice(p * size, (p + 1) * size)).filter(
      (p) => p.length > 0,
    );
  }

  private finishStep(
    sums: Map<string, tf.Tensor>,
    parts: number,
    totals: {
      loss: number;
      baseLoss: number;
      entityLoss: number;
      tokens: number;
      rewardAccuracy?: number;
      rewardMargin?: number;
    },
    started: number,
    tally: PhaseTally,
  ): StepMetrics {
    const learningRate = learningRateAt(
      this.stepCount,
      this.options.learningRate,
      this.options.warmupSteps,
      this.options.totalSteps,
      this.options.minLrRatio,
    );
    const optimizerFrom = performance.now();
    const gradNorm = this.optimizer.update(this.variables(), sums, parts, learningRate, this.stepCount + 1);
    for (const g of sums.values()) g.dispose();
    this.stepCount++;
    const finished = performance.now();
    const optimizerMs = finished - optimizerFrom;
    const wallMs = finished - started;
    const { forwardMs, backwardMs, exchangeMs, idleMs } = tally;
    const phases: StepPhases = {
      forwardMs,
      backwardMs,
      optimizerMs,
      exchangeMs,
      idleMs,
      otherMs: Math.max(0, wallMs - forwardMs - backwardMs - optimizerMs - exchangeMs - idleMs),
      workers: tally.workers.map((busy) => ({
        ...busy,
        idleMs: Math.max(0, wallMs - busy.forwardMs - busy.backwardMs - busy.exchangeMs),
      })),
    };
    const metrics: StepMetrics = {
      step: this.stepCount,
      ...totals,
      learningRate,
      gradNorm,
      tokensPerSecond: totals.tokens / (wallMs / 1000),
      phases,
    };
    this.onStep?.(metrics);
    return metrics;
  }

  /** Mean masked loss over examples without updating anything. */
  evaluate(examples: readonly TrainingExample[]): { loss: number; baseLoss: number; entityLoss: number } {
    const batch = makeBatch(examples, this.options.padId);
    return tf.tidy(() => {
      const l = causalLmLoss(this.model.forward(batch.inputs).logits, batch, this.options.loss);
      return {
        loss: l.total.dataSync()[0]!,
        baseLoss: l.base.dataSync()[0]!,
        entityLoss: l.entity.dataSync()[0]!,
      };
    });
  }

  /**
   * Writes everything a resumed run needs to continue exactly: trainable weights (adapter or full model),
   * AdamW moments, the step and the generator state.
   */
  saveState(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const weights = new Map<string, HostTensor>();
    const moments = new Map<string, HostTensor>();
    for (const [key, variable] of this.variables()) {
      weights.set(key, host(variable));
      const { m, v } = this.optimizer.momentsOf(key)!;
      moments.set(`${key}.exp_avg`, host(m));
      moments.set(`${key}.exp_avg_sq`, host(v));
    }
    writeFileSync(join(dir, 'trainable.safetensors'), encodeSafetensors(weights));
    writeFileSync(join(dir, 'optimizer.safetensors'), encodeSafetensors(moments));
    const state = {
      format: 'tuneledger-trainer-state/1',
      step: this.stepCount,
      rng: this.rng.state(),
      options: this.options,
    };
    writeFileSync(join(dir, 'trainer_state.json'), `${JSON.stringify(state, null, 2)}\n`);
  }

  /**
   * Restores a state written by saveState onto a trainer built with the same options over the same base
   * model; the next step is the one the saved run would have taken.
   */
  loadState(dir: string): void {
    const statePath = join(dir, 'trainer_state.json');
    if (!existsSync(statePath))
      throw new Error(`${dir}: trainer_state.json is missing; not a training checkpoint`);
    const state = stateSchema.parse(JSON.parse(readFileSync(statePath, 'utf8')));
    const weights = decodeSafetensors(readFileSync(join(dir, 'trainable.safetensors'))).tensors;
    const moments = decodeSafetensors(readFileSync(join(dir, 'optimizer.safetensors'))).tensors;
    for (const [key, variable] of this.variables()) {
      const w = weights.get(key);
      const m = moments.get(`${key}.exp_avg`);
      const v = moments.get(`${key}.exp_avg_sq`);
      if (!w || !m || !v)
        throw new Error(
          `${dir}: the checkpoint lacks "${key}"; was it saved with the same mode and LoRA options?`,
        );
      assign(variable, w, key);
      const target = this.optimizer.momentsOf(key)!;
      assign(target.m, m, key);
      assign(target.v, v, key);
    }
    this.stepCount = state.step;
    this.rng = new Rng(state.rng as RngState);
  }

  /**
   * Restores only the trainable weights of a state written by saveState (the adapter or the full weights,
   * and a reward head), not the optimizer, step or generator: what the next stage of a run starts from when
   * the checkpoint closed the previous one. The generator restarts from this trainer's seed, as it does for
   * a trainer built over a model that already carried an adapter.
   */
  loadWeights(dir: string): void {
    const path = join(dir, 'trainable.safetensors');
    if (!existsSync(path))
      throw new Error(`${dir}: trainable.safetensors is missing; not a training checkpoint`);
    const weights = decodeSafetensors(readFileSync(path), path).tensors;
    for (const [key, variable] of this.variables()) {
      const w = weights.get(key);
      if (!w)
        throw new Error(
          `${dir}: the checkpoint lacks "${key}"; was it saved with the same mode and LoRA options?`,
        );
      assign(variable, w, key);
    }
    this.rng = new Rng(this.options.seed);
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

function accumulate(sums: Map<string, tf.Tensor>, grads: Map<string, tf.Tensor>): void {
  for (const [key, grad] of grads) {
    const previous = sums.get(key);
    if (previous) {
      sums.set(key, tf.add(previous, grad));
      previous.dispose();
      grad.dispose();
    } else {
      sums.set(key, grad);
    }
  }
}

function splitEven<T>(items: readonly T[], parts: number): T[][] {
  const size = Math.ceil(items.length / parts);
  return Array.from({ length: parts }, (_, i) => items.slice(i * size, (i + 1) * size));
}

function host(t: tf.Tensor): HostTensor {
  return { shape: t.shape, data: Float32Array.from(t.dataSync() as Float32Array) };
}

function assign(variable: tf.Variable, value: HostTensor, key: string): void {
  if (value.shape.join(',') !== variable.shape.join(',')) {
    throw new Error(
      `checkpoint tensor "${key}" has shape [${value.shape}], the model expects [${variable.shape}]`,
    );
  }
  tf.tidy(() => variable.assign(tf.tensor(value.data, variable.shape)));
}
