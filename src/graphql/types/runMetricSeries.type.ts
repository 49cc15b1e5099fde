/**
 * A run's metrics as machines chart them: one list of steps and one of values per series, instead of
 * an object per step (a 1,000-step loss curve is two arrays, not 1,000 objects to build and print).
 */
import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { RunMetricColumn } from '../../projections/index.js';

export enum RunMetricName {
  LOSS = 'loss',
  ENTITY_LOSS = 'entityLoss',
  LEARNING_RATE = 'learningRate',
  GRAD_NORM = 'gradNorm',
  TOKENS_PER_SECOND = 'tokensPerSecond',
  ELAPSED_MS = 'elapsedMs',
  EPOCH = 'epoch',
  STAGE_INDEX = 'stageIndex',
  REWARD_ACCURACY = 'rewardAccuracy',
  REWARD_MARGIN = 'rewardMargin',
  MEAN_REWARD = 'meanReward',
  KL = 'kl',
  KL_COEFFICIENT = 'klCoefficient',
  ENTROPY = 'entropy',
  CLIP_FRACTION = 'clipFraction',
  VALUE_LOSS = 'valueLoss',
  EXPLAINED_VARIANCE = 'explainedVariance',
}
registerEnumType(RunMetricName, {
  name: 'RunMetricName',
  description: 'A per-step figure of a training run (run_metrics).',
});

/** The run_metrics column of each series. */
export const runMetricSeriesColumns: Readonly<Record<RunMetricName, RunMetricColumn>> = {
  loss: 'loss',
  entityLoss: 'entity_loss',
  learningRate: 'learning_rate',
  gradNorm: 'grad_norm',
  tokensPerSecond: 'tokens_per_second',
  elapsedMs: 'elapsed_ms',
  epoch: 'epoch',
  stageIndex: 'stage_index',
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

@ObjectType('RunMetricSeries', {
  description:
    'One figure by step: values[i] was reported at steps[i]; steps without the figure are left out.',
})
export class RunMetricSeriesType {
  @Field(() => RunMetricName)
  name!: RunMetricName;

  @Field(() => [Int], { description: 'Ascending.' })
  steps!: number[];

  @Field(() => [Float])
  values!: number[];
}

@ObjectType('RunMetricSeriesPage', {
  description: 'The series over one range of steps. Page on with fromStep: nextFromStep.',
})
export class RunMetricSeriesPageType {
  @Field(() => [RunMetricSeriesType], { description: 'One per requested name, in the order asked.' })
  series!: RunMetricSeriesType[];

  @Field(() => Int, {
    nullable: true,
    description: 'The first step after this page; null when the range has no more steps.',
  })
  nextFromStep!: number | null;
}
