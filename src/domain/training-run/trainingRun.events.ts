import { z } from 'zod';
import { defineEvent, type EventOf, type EventUnionOf } from '../shared/eventRegistry.js';
import { exactText } from '../shared/textKinds.js';
import {
  id,
  isoTimestamp,
  modelRef,
  exactKey,
  nonEmptyExactText,
  nonEmptyFreeText,
  nonNegative,
  nonNegativeInt,
  positiveInt,
  sha256,
} from '../shared/schemas.js';

/** Where the base model's weights come from; loaded from local paths, never fetched. */
export const baseModelSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('path'), path: nonEmptyExactText }),
  z.object({ kind: z.literal('artifact'), hash: sha256 }),
  z.object({ kind: z.literal('registry'), model: modelRef }),
]);

export const baseModel = z.object({
  name: nonEmptyFreeText,
  source: baseModelSource,
  /** sha256 of the HF config.json, so two runs on "the same" model can be told apart. */
  configHash: sha256.optional(),
});
export type BaseModel = z.infer<typeof baseModel>;

export const loraParameters = z.object({
  kind: z.literal('lora'),
  r: positiveInt,
  alpha: z.number().positive(),
  dropout: z.number().min(0).max(1),
  targetModules: z.array(nonEmptyExactText).min(1),
});
export const fullParameters = z.object({ kind: z.literal('full') });
/** Which weights a reward-model or policy run trains. */
export const trainedParameters = z.discriminatedUnion('kind', [loraParameters, fullParameters]);

/**
 * How a run trains. `lora` and `full` are supervised fine-tuning; `reward-model`, `dpo` and `ppo`
 * are the reinforcement runs of EVENTS.md and name the weights they train in `parameters`.
 */
export const trainingMethod = z.discriminatedUnion('kind', [
  loraParameters,
  fullParameters,
  z.object({ kind: z.literal('reward-model'), parameters: trainedParameters }),
  z.object({
    kind: z.literal('dpo'),
    parameters: trainedParameters,
    beta: z.number().positive(),
    /** The frozen reference policy; the base model when absent. */
    referenceModel: modelRef.optional(),
  }),
  z.object({
    kind: z.literal('ppo'),
    parameters: trainedParameters,
    rewardModel: modelRef,
    klCoefficient: z.number().nonnegative(),
    clipRange: z.number().positive(),
    /** Prompts sampled per step: one rollout each, then the PPO epochs over that batch. */
    rolloutsPerStep: positiveInt,
    // The settings below are optional so events recorded before the worker trained PPO still parse; the
    // service resolves each into a new request's event (DEFAULT_PPO_SETTINGS).
    /** The frozen reference of the KL penalty; the base model when absent (as for DPO). */
    referenceModel: modelRef.optional(),
    /** Discount of future rewards. */
    gamma: z.number().min(0).max(1).optional(),
    /** GAE's lambda. */
    lambda: z.number().min(0).max(1).optional(),
    /** Passes over each rollout batch. */
    epochs: positiveInt.max(100).optional(),
    /** Optimizer steps per pass (the rollout batch split into this many minibatches). */
    minibatches: positiveInt.max(4096).optional(),
    /** Clip range of the value prediction around the rollout's values. */
    clipRangeValue: z.number().positive().optional(),
    /** Weight of the value loss beside the policy loss. */
    valueCoefficient: z.number().nonnegative().optional(),
    /** `fixed`: klCoefficient throughout; `adaptive`: steered towards targetKl over klHorizon rollouts. */
    klControl: z.enum(['fixed', 'adaptive']).optional(),
    /** Adaptive KL: the summed KL per answer the controller steers towards. */
    targetKl: z.number().positive().optional(),
    /** Adaptive KL: the horizon in rollouts (Ziegler et al. 2019: 10000). */
    klHorizon: z.number().positive().optional(),
    /** Longest sampled answer, in tokens. */
    maxResponseTokens: positiveInt.max(4096).optional(),
  }),
]);
export type TrainingMethod = z.infer<typeof trainingMethod>;
export type TrainingMethodKind = TrainingMethod['kind'];

export const trainingStage = z.object({
  name: nonEmptyFreeText,
  /** The stage trains on this revision of the run's dataset, or on a filter of it. */
  datasetRevision: positiveInt.optional(),
  /** A filter expression the worker evaluates: exact, or it would select something else. */
  datasetFilter: exactText(z.string()).optional(),
  learningRate: z.number().positive(),
  batchSize: positiveInt,
  epochs: z.number().positive(),
  /** Input noise for robustness training (probability of a character edit). */
  noise: z.number().min(0).max(1).optional(),
});
export type TrainingStage = z.infer<typeof trainingStage>;

export const trainingLoss = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('cross-entropy') }),
  z.object({ kind: z.literal('entity-weighted'), entityWeight: z.number().positive(), lexiconHash: sha256 }),
]);

/** The `kind` of each training method and loss, in declaration order (the API's TrainingMethodKind, LossKind). */
export const trainingMethodKinds = trainingMethod.options.map((option) => option.shape.kind.value);
export const trainingLossKinds = trainingLoss.options.map((option) => option.shape.kind.value);
export type TrainingLossKind = (typeof trainingLossKinds)[number];

export const checkpointRef = z.object({ step: nonNegativeInt, artifactHash: sha256 });
export type CheckpointRef = z.infer<typeof checkpointRef>;

export const TrainingRunRequested = defineEvent(
  'TrainingRunRequested',
  z.object({
    runId: id,
    baseModel,
    dataset: z.object({ id, revision: positiveInt, contentHash: sha256 }),
    method: trainingMethod,
    stages: z.array(trainingStage).min(1),
    loss: trainingLoss,
    seed: z.int(),
    maxSteps: positiveInt.optional(),
    /** Start from a checkpoint of another run. */
    resumeFrom: checkpointRef.extend({ runId: id }).optional(),
    /** The model registry entry the finished run should be registered under. */
    targetModel: nonEmptyExactText.optional(),
    /** How records become prompts (alpaca, llama2, llama3, chat_template); the worker's default when absent. */
    promptFormat: z.enum(['alpaca', 'llama2', 'llama3', 'chat_template']).optional(),
    requestedAt: isoTimestamp,
  }),
);

export const TrainingRunClaimed = defineEvent(
  'TrainingRunClaimed',
  z.object({
    runId: id,
    workerId: nonEmptyExactText,
    backend: z.object({ name: nonEmptyExactText, device: exactText(z.string()) }),
    leaseUntil: isoTimestamp,
    /** 1 for the first claim, 2 after the first lease expired, ... */
    attempt: positiveInt,
    /** The checkpoint this attempt starts from; absent on a fresh start. */
    resumeFrom: checkpointRef.optional(),
    claimedAt: isoTimestamp,
  }),
);

export const TrainingRunLeaseRenewed = defineEvent(
  'TrainingRunLeaseRenewed',
  z.object({ runId: id, workerId: nonEmptyExactText, attempt: positiveInt, leaseUntil: isoTimestamp }),
);

/** The holder stopped renewing: the run may be claimed again and resumes from `resumeFrom`. */
export const TrainingRunLeaseExpired = defineEvent(
  'TrainingRunLeaseExpired',
  z.object({
    runId: id,
    workerId: nonEmptyExactText,
    attempt: positiveInt,
    leaseUntil: isoTimestamp,
    lastStep: nonNegativeInt,
    resumeFrom: checkpointRef.optional(),
    detectedAt: isoTimestamp,
  }),
);

export const TrainingStageStarted = defineEvent(
  'TrainingStageStarted',
  z.object({
    runId: id,
    stageIndex: nonNegativeInt,
    name: nonEmptyFreeText,
    learningRate: z.number().positive(),
    batchSize: positiveInt,
    steps: positiveInt,
    attempt: positiveInt,
    startedAt: isoTimestamp,
  }),
);

/** tokensPerSecond became required in v2; v1 events read back with it computed or 0. */
export const TrainingProgressReported = defineEvent(
  'TrainingProgressReported',
  z.object({
    runId: id,
    step: positiveInt,
    totalSteps: positiveInt,
    stageIndex: nonNegativeInt,
    epoch: nonNegative,
    loss: z.number(),
    entityLoss: z.number().optional(),
    /** Preference runs (reward model, DPO): fraction of the step's pairs whose reward prefers the chosen answer. */
    rewardAccuracy: z.number().min(0).max(1).optional(),
    /** Preference runs: the step's mean reward margin (chosen minus rejected). */
    rewardMargin: z.number().optional(),
    /** PPO runs: the step's mean reward-model score of its rollouts (without the KL penalty). */
    meanReward: z.number().optional(),
    /** PPO runs: mean summed KL (log pi - log ref) per rollout, and the KL coefficient that penalised it. */
    kl: z.number().optional(),
    klCoefficient: nonNegative.optional(),
    /** PPO runs: mean entropy (nats) of the policy at the sampled tokens. */
    entropy: z.number().optional(),
    /** PPO runs: fraction of tokens whose ratio was clipped, value loss and the value head's explained variance. */
    clipFraction: z.number().min(0).max(1).optional(),
    valueLoss: z.number().optional(),
    explainedVariance: z.number().optional(),
    learningRate: nonNegative,
    gradNorm: nonNegative,
    tokensPerSecond: nonNegative,
    elapsedMs: nonNegative,
    etaMs: nonNegative,
    attempt: positiveInt,
    reportedAt: isoTimestamp,
  }),
  {
    schemaVersion: 2,
    upcasters: {
      // v1 carried tokensSeen instead of a rate; the rate is what charts need.
      1: ({ tokensSeen, ...rest }) => {
        const elapsedMs = typeof rest['elapsedMs'] === 'number' ? rest['elapsedMs'] : 0;
        const tokens = typeof tokensSeen === 'number' ? tokensSeen : 0;
        return { ...rest, tokensPerSecond: elapsedMs > 0 ? (tokens * 1000) / elapsedMs : 0 };
      },
    },
  },
);

export const CheckpointSaved = defineEvent(
  'CheckpointSaved',
  z.object({
    runId: id,
    step: nonNegativeInt,
    stageIndex: nonNegativeInt,
    artifactHash: sha256,
    byteSize: nonNegativeInt,
    attempt: positiveInt,
    savedAt: isoTimestamp,
  }),
);

export const TrainingRunCompleted = defineEvent(
  'TrainingRunCompleted',
  z.object({
    runId: id,
    artifact: z.object({
      kind: z.enum(['adapter', 'weights', 'reward-model']),
      hash: sha256,
      byteSize: nonNegativeInt,
    }),
    finalLoss: z.number(),
    steps: nonNegativeInt,
    durationMs: nonNegative,
    tokensSeen: nonNegativeInt,
    metrics: z.record(exactKey, z.number()).default({}),
    completedAt: isoTimestamp,
  }),
);

export const TrainingRunFailed = defineEvent(
  'TrainingRunFailed',
  z.object({
    runId: id,
    reason: nonEmptyFreeText,
    step: nonNegativeInt,
    retryable: z.boolean(),
    lastCheckpoint: checkpointRef.optional(),
    failedAt: isoTimestamp,
  }),
);

export const TrainingRunCancelled = defineEvent(
  'TrainingRunCancelled',
  z.object({
    runId: id,
    reason: nonEmptyFreeText,
    cancelledBy: nonEmptyExactText,
    cancelledAt: isoTimestamp,
  }),
);

export const trainingRunEventDefinitions = [
  TrainingRunRequested,
  TrainingRunClaimed,
  TrainingRunLeaseRenewed,
  TrainingRunLeaseExpired,
  TrainingStageStarted,
  TrainingProgressReported,
  CheckpointSaved,
  TrainingRunCompleted,
  TrainingRunFailed,
  TrainingRunCancelled,
] as const;

export type TrainingRunRequested = EventOf<typeof TrainingRunRequested>;
export type TrainingRunClaimed = EventOf<typeof TrainingRunClaimed>;
export type TrainingRunLeaseRenewed = EventOf<typeof TrainingRunLeaseRenewed>;
export type TrainingRunLeaseExpired = EventOf<typeof TrainingRunLeaseExpired>;
export type TrainingStageStarted = EventOf<typeof TrainingStageStarted>;
export type TrainingProgressReported = EventOf<typeof TrainingProgressReported>;
export type CheckpointSaved = EventOf<typeof CheckpointSaved>;
export type TrainingRunCompleted = EventOf<typeof TrainingRunCompleted>;
export type TrainingRunFailed = EventOf<typeof TrainingRunFailed>;
export type TrainingRunCancelled = EventOf<typeof TrainingRunCancelled>;

/** Every training-run event: derived from the definitions, so a new one is added in one place. */
export type TrainingRunEvent = EventUnionOf<typeof trainingRunEventDefinitions>;
