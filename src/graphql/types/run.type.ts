import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { Node } from './node.type.js';
import type {
  Run,
  RunCheckpoint,
  RunColumn,
  RunMetric,
  RunMetricColumn,
  RunStatus,
} from '../../projections/index.js';
import type { TrainingLossKind, TrainingMethodKind } from '../../domain/index.js';
import { LossKindEnum, RunStatusEnum, TrainingMethodKindEnum } from './enums.js';
import { connectionType } from './connection.js';
import { DateTime, JSON } from './scalars.js';

/** The reward fields a preference run's metric point and its progress update both carry. */
export const RewardAccuracyField = () =>
  Field(() => Float, {
    nullable: true,
    description: 'Preference runs (dpo, reward-model): the fraction of pairs whose chosen answer wins.',
  });
export const RewardMarginField = () =>
  Field(() => Float, {
    nullable: true,
    description:
      'Preference runs (dpo, reward-model): the mean margin of the chosen answer over the rejected one.',
  });

/** A PPO rollout statistic, on a run's metric point and its progress update alike. */
export const PpoField = (what: string) =>
  Field(() => Float, { nullable: true, description: `PPO runs: ${what}.` });

/** The TrainingProgressReported fields PPO runs add, each a nullable GraphQL field of the same name. */
export const PPO_PROGRESS_FIELDS = [
  'meanReward',
  'kl',
  'klCoefficient',
  'entropy',
  'clipFraction',
  'valueLoss',
  'explainedVariance',
] as const;

@ObjectType('RunMetric', { description: 'One reported training step.' })
export class RunMetricType {
  @Field(() => Int)
  step!: number;

  @Field(() => Int)
  stageIndex!: number;

  @Field(() => Int)
  epoch!: number;

  @Field(() => Float)
  loss!: number;

  @Field(() => Float, { nullable: true })
  entityLoss!: number | null;

  @Field(() => Float)
  learningRate!: number;

  @Field(() => Float, { nullable: true })
  gradNorm!: number | null;

  @Field(() => Float, { nullable: true })
  tokensPerSecond!: number | null;

  @Field(() => Float, { nullable: true })
  elapsedMs!: number | null;

  @Field(() => DateTime)
  recordedAt!: Date;

  @RewardAccuracyField()
  rewardAccuracy!: number | null;

  @RewardMarginField()
  rewardMargin!: number | null;

  @PpoField("the mean reward-model score of the step's rollouts, before the KL penalty")
  meanReward!: number | null;

  @PpoField('the mean summed KL (log pi - log ref) of a rollout against the frozen reference')
  kl!: number | null;

  @PpoField("the KL coefficient that penalised the step's rewards (moves with adaptive KL control)")
  klCoefficient!: number | null;

  @PpoField('the mean entropy (nats) of the policy at the sampled answer tokens')
  entropy!: number | null;

  @PpoField('the fraction of answer tokens whose probability ratio was clipped')
  clipFraction!: number | null;

  @PpoField("the value head's clipped loss")
  valueLoss!: number | null;

  @PpoField(
    '1 - Var(returns - values) / Var(returns) of the value head (1: perfect, 0: no better than a constant)',
  )
  explainedVariance!: number | null;
}

export const toRunMetric = (row: RunMetric): RunMetricType => ({
  step: row.step,
  stageIndex: row.stage_index,
  epoch: row.epoch,
  loss: row.loss,
  entityLoss: row.entity_loss,
  learningRate: row.learning_rate,
  gradNorm: row.grad_norm,
  tokensPerSecond: row.tokens_per_second,
  elapsedMs: row.elapsed_ms,
  recordedAt: row.recorded_at,
  rewardAccuracy: row.reward_accuracy,
  rewardMargin: row.reward_margin,
  meanReward: row.mean_reward,
  kl: row.kl,
  klCoefficient: row.kl_coefficient,
  entropy: row.entropy,
  clipFraction: row.clip_fraction,
  valueLoss: row.value_loss,
  explainedVariance: row.explained_variance,
});

/** The run_metrics column behind each RunMetric field (toRunMetric reads these). */
export const runMetricColumns: Readonly<Record<keyof RunMetricType, RunMetricColumn>> = {
  step: 'step',
  stageIndex: 'stage_index',
  epoch: 'epoch',
  loss: 'loss',
  entityLoss: 'entity_loss',
  learningRate: 'learning_rate',
  gradNorm: 'grad_norm',
  tokensPerSecond: 'tokens_per_second',
  elapsedMs: 'elapsed_ms',
  recordedAt: 'recorded_at',
  rewardAccuracy: 'reward_accuracy',
  rewardMargin: 'reward_margin',
  meanReward: 'mean_reward',
  kl: 'kl',
  klCoefficient: 'kl_coefficient',
  entropy: 'entropy',
  clipFraction: 'clip_fraction',
  valueLoss: 'value_loss',
  explainedVariance: 'explained_variance',
};

export const RunMetricConnection = connectionType('RunMetric', RunMetricType);

@ObjectType('RunCheckpoint')
export class RunCheckpointType {
  @Field(() => Int)
  step!: number;

  @Field()
  artifactHash!: string;

  @Field(() => Float)
  byteSize!: number;

  @Field(() => DateTime)
  savedAt!: Date;
}

export const toRunCheckpoint = (row: RunCheckpoint): RunCheckpointType => ({
  step: row.step,
  artifactHash: row.artifact_hash,
  byteSize: row.byte_size,
  savedAt: row.saved_at,
});

export const RunCheckpointConnection = connectionType('RunCheckpoint', RunCheckpointType);

@ObjectType('TrainingRun', { implements: Node })
export class RunType {
  @Field(() => ID)
  runId!: string;

  @Field(() => TrainingMethodKindEnum, { description: "The method's kind (method.kind)." })
  kind!: TrainingMethodKind;

  @Field(() => RunStatusEnum)
  status!: RunStatus;

  @Field()
  baseModel!: string;

  @Field(() => ID, { nullable: true })
  datasetId!: string | null;

  @Field(() => Int, { nullable: true })
  datasetRevision!: number | null;

  @Field(() => JSON)
  method!: unknown;

  @Field(() => JSON)
  stages!: unknown;

  @Field(() => LossKindEnum, { nullable: true })
  lossKind!: TrainingLossKind | null;

  @Field(() => Int, { nullable: true })
  seed!: number | null;

  @Field(() => Int, { nullable: true })
  maxSteps!: number | null;

  @Field(() => String, { nullable: true })
  workerId!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The TensorFlow.js backend and device that trained it.',
  })
  backend!: string | null;

  @Field(() => Int)
  attempts!: number;

  @Field(() => Int, { nullable: true })
  currentStage!: number | null;

  @Field(() => Int, { nullable: true })
  lastStep!: number | null;

  @Field(() => Int, { nullable: true })
  totalSteps!: number | null;

  @Field(() => Float, { nullable: true })
  lastLoss!: number | null;

  @Field(() => String, { nullable: true })
  lastCheckpointHash!: string | null;

  @Field(() => String, { nullable: true })
  resultArtifactHash!: string | null;

  @Field(() => Float, { nullable: true })
  finalLoss!: number | null;

  @Field(() => Float, { nullable: true })
  durationMs!: number | null;

  @Field(() => Float, { nullable: true })
  tokensSeen!: number | null;

  @Field(() => String, { nullable: true })
  failureReason!: string | null;

  @Field(() => DateTime)
  requestedAt!: Date;

  @Field(() => DateTime)
  updatedAt!: Date;

  @Field(() => DateTime, { nullable: true })
  finishedAt!: Date | null;
}

export const toRun = (row: Run): RunType => ({
  runId: row.run_id,
  // The projection stores the event's validated kinds.
  kind: row.kind as TrainingMethodKind,
  status: row.status,
  baseModel: row.base_model,
  datasetId: row.dataset_id,
  datasetRevision: row.dataset_revision,
  method: row.method,
  stages: row.stages,
  lossKind: row.loss_kind as TrainingLossKind | null,
  seed: row.seed,
  maxSteps: row.max_steps,
  workerId: row.worker_id,
  backend: row.backend,
  attempts: row.attempts,
  currentStage: row.current_stage,
  lastStep: row.last_step,
  totalSteps: row.total_steps,
  lastLoss: row.last_loss,
  lastCheckpointHash: row.last_checkpoint_hash,
  resultArtifactHash: row.result_artifact_hash,
  finalLoss: row.final_loss,
  durationMs: row.duration_ms,
  tokensSeen: row.tokens_seen,
  failureReason: row.failure_reason,
  requestedAt: row.requested_at,
  updatedAt: row.updated_at,
  finishedAt: row.finished_at,
});

/** The column behind each field of a run, so that a page of runs reads only what is asked. */
export const runColumns: Readonly<Record<keyof RunType, RunColumn>> = {
  runId: 'run_id',
  kind: 'kind',
  status: 'status',
  baseModel: 'base_model',
  datasetId: 'dataset_id',
  datasetRevision: 'dataset_revision',
  method: 'method',
  stages: 'stages',
  lossKind: 'loss_kind',
  seed: 'seed',
  maxSteps: 'max_steps',
  workerId: 'worker_id',
  backend: 'backend',
  attempts: 'attempts',
  currentStage: 'current_stage',
  lastStep: 'last_step',
  totalSteps: 'total_steps',
  lastLoss: 'last_loss',
  lastCheckpointHash: 'last_checkpoint_hash',
  resultArtifactHash: 'result_artifact_hash',
  finalLoss: 'final_loss',
  durationMs: 'duration_ms',
  tokensSeen: 'tokens_seen',
  failureReason: 'failure_reason',
  requestedAt: 'requested_at',
  updatedAt: 'updated_at',
  finishedAt: 'finished_at',
};

export const RunConnection = connectionType('TrainingRun', RunType);
