import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import type { RecordedEvent } from '../../eventstore/eventStore.js';
import { EventType, toEventType } from './event.type.js';
import { PPO_PROGRESS_FIELDS, PpoField, RewardAccuracyField, RewardMarginField } from './run.type.js';
import { DateTime } from './scalars.js';

import { RunProgressEventTypeEnum } from './enums.js';
import { runEndEventTypes, type RunProgressEventType } from './runProgressEventTypes.js';

export { runEndEventTypes, runProgressEventTypes } from './runProgressEventTypes.js';

@ObjectType({ description: 'A progress, stage, checkpoint or end event of a training run.' })
export class RunProgressUpdate {
  @Field(() => ID)
  runId!: string;

  @Field(() => RunProgressEventTypeEnum, { description: 'The event type, e.g. TRAINING_PROGRESS_REPORTED.' })
  type!: RunProgressEventType;

  @Field(() => DateTime)
  recordedAt!: Date;

  @Field(() => Int, { nullable: true })
  step!: number | null;

  @Field(() => Int, { nullable: true })
  totalSteps!: number | null;

  @Field(() => Int, { nullable: true })
  stageIndex!: number | null;

  @Field(() => String, {
    nullable: true,
    description: "The stage's name, on TrainingStageStarted (progress events carry stageIndex only).",
  })
  stageName!: string | null;

  @Field(() => Float, { nullable: true, description: 'Progress through the data, in epochs.' })
  epoch!: number | null;

  @Field(() => Float, {
    nullable: true,
    description: 'The training loss of the step; on TrainingRunCompleted the final loss.',
  })
  loss!: number | null;

  @Field(() => Float, {
    nullable: true,
    description: "The entity-weighted loss's entity term of the step, when the run's loss has one.",
  })
  entityLoss!: number | null;

  @Field(() => Float, {
    nullable: true,
    description: "The step's learning rate; on TrainingStageStarted the stage's.",
  })
  learningRate!: number | null;

  @Field(() => Float, { nullable: true, description: 'The gradient norm of the step.' })
  gradNorm!: number | null;

  @Field(() => Float, { nullable: true, description: 'Training throughput at the step.' })
  tokensPerSecond!: number | null;

  @Field(() => Float, { nullable: true, description: 'Milliseconds of training so far in this attempt.' })
  elapsedMs!: number | null;

  @Field(() => Float, { nullable: true, description: 'Milliseconds until the run is expected to end.' })
  etaMs!: number | null;

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

  @Field({ description: "True on the run's last event (completed, failed or cancelled)." })
  finished!: boolean;

  @Field(() => EventType, { description: 'The whole event, with its data and metadata.' })
  event!: EventType;
}

function numberField(data: unknown, key: string): number | null {
  if (typeof data !== 'object' || data === null) return null;
  const value = (data as Record<string, unknown>)[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function stringField(data: unknown, key: string): string | null {
  if (typeof data !== 'object' || data === null) return null;
  const value = (data as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : null;
}

export function toRunProgressUpdate(runId: string, event: RecordedEvent): RunProgressUpdate {
  return {
    runId,
    type: event.type as RunProgressEventType,
    recordedAt: new Date(event.metadata.recordedAt),
    step: numberField(event.data, 'step'),
    totalSteps: numberField(event.data, 'totalSteps'),
    stageIndex: numberField(event.data, 'stageIndex'),
    stageName: stringField(event.data, 'name'),
    epoch: numberField(event.data, 'epoch'),
    loss: numberField(event.data, 'loss') ?? numberField(event.data, 'finalLoss'),
    entityLoss: numberField(event.data, 'entityLoss'),
    learningRate: numberField(event.data, 'learningRate'),
    gradNorm: numberField(event.data, 'gradNorm'),
    tokensPerSecond: numberField(event.data, 'tokensPerSecond'),
    elapsedMs: numberField(event.data, 'elapsedMs'),
    etaMs: numberField(event.data, 'etaMs'),
    rewardAccuracy: numberField(event.data, 'rewardAccuracy'),
    rewardMargin: numberField(event.data, 'rewardMargin'),
    ...(Object.fromEntries(
      PPO_PROGRESS_FIELDS.map((field) => [field, numberField(event.data, field)]),
    ) as Record<(typeof PPO_PROGRESS_FIELDS)[number], number | null>),
    finished: runEndEventTypes.includes(event.type),
    event: toEventType(event),
  };
}
