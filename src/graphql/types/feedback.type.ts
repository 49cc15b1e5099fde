import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { Node } from './node.type.js';
import type { FeedbackLabel } from '../../domain/index.js';
import type { FeedbackLabelRow, Interaction } from '../../projections/index.js';
import { FeedbackLabelKindEnum } from './enums.js';
import { connectionType } from './connection.js';
import { DateTime } from './scalars.js';

@ObjectType('FeedbackLabel')
export class FeedbackLabelType {
  @Field()
  eventId!: string;

  @Field(() => FeedbackLabelKindEnum, { description: 'THUMBS, RATING, CORRECTION or ERROR_CATEGORY.' })
  kind!: FeedbackLabel['kind'];

  @Field(() => Boolean, { nullable: true })
  thumbsUp!: boolean | null;

  @Field(() => Int, { nullable: true })
  rating!: number | null;

  @Field(() => String, { nullable: true })
  correction!: string | null;

  @Field(() => String, { nullable: true })
  errorCategory!: string | null;

  @Field()
  labeler!: string;

  @Field(() => DateTime)
  labeledAt!: Date;
}

export const toFeedbackLabel = (row: FeedbackLabelRow): FeedbackLabelType => ({
  eventId: row.event_id,
  kind: row.kind as FeedbackLabel['kind'],
  thumbsUp: row.thumbs_up,
  rating: row.rating,
  correction: row.correction,
  errorCategory: row.error_category,
  labeler: row.labeler,
  labeledAt: row.labeled_at,
});

@ObjectType('Interaction', {
  implements: Node,
  description: 'One served request with its (redacted) prompt and response.',
})
export class InteractionType {
  @Field(() => ID)
  interactionId!: string;

  @Field(() => String, { nullable: true })
  deploymentName!: string | null;

  @Field()
  modelName!: string;

  @Field(() => Int)
  modelVersion!: number;

  @Field()
  prompt!: string;

  @Field()
  response!: string;

  @Field(() => Float, { nullable: true })
  latencyMs!: number | null;

  @Field(() => Float, { nullable: true })
  meanTokenEntropy!: number | null;

  @Field(() => String, { nullable: true })
  filterRule!: string | null;

  @Field(() => Int)
  labelCount!: number;

  @Field(() => DateTime)
  recordedAt!: Date;

  @Field(() => Float, {
    nullable: true,
    description:
      "The latest reward score of the answer, from the current reward model of the interaction's model (`<modelName>-reward`); null until scored in the background.",
  })
  rewardScore!: number | null;

  @Field(() => String, { nullable: true, description: 'The reward model that gave rewardScore.' })
  rewardModelName!: string | null;

  @Field(() => Int, { nullable: true, description: 'The version of the reward model that gave rewardScore.' })
  rewardModelVersion!: number | null;
}

export const toInteraction = (row: Interaction): InteractionType => ({
  interactionId: row.interaction_id,
  deploymentName: row.deployment_name,
  modelName: row.model_name,
  modelVersion: row.model_version,
  prompt: row.prompt,
  response: row.response,
  latencyMs: row.latency_ms,
  meanTokenEntropy: row.mean_token_entropy,
  filterRule: row.filter_rule,
  labelCount: row.label_count,
  recordedAt: row.recorded_at,
  rewardScore: row.reward_score,
  rewardModelName: row.reward_model_name,
  rewardModelVersion: row.reward_model_version,
});

export const InteractionConnection = connectionType('Interaction', InteractionType);
export const FeedbackLabelConnection = connectionType('FeedbackLabel', FeedbackLabelType);
