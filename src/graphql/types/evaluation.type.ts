import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Node } from './node.type.js';
import type { Evaluation, EvaluationStatus } from '../../projections/index.js';
import { EvaluationStatusEnum } from './enums.js';
import { connectionType } from './connection.js';
import { DateTime, JSON } from './scalars.js';

@ObjectType('Evaluation', { implements: Node })
export class EvaluationType {
  @Field(() => ID)
  evaluationId!: string;

  @Field(() => EvaluationStatusEnum)
  status!: EvaluationStatus;

  @Field()
  modelName!: string;

  @Field(() => Int)
  modelVersion!: number;

  @Field(() => ID, { nullable: true })
  datasetId!: string | null;

  @Field(() => Int, { nullable: true })
  datasetRevision!: number | null;

  @Field(() => [String])
  suites!: string[];

  @Field(() => JSON, { nullable: true })
  judge!: unknown;

  @Field(() => JSON, { description: 'Gate thresholds.' })
  gate!: unknown;

  @Field(() => Boolean, { nullable: true })
  gatePassed!: boolean | null;

  @Field(() => JSON, { nullable: true })
  gateFailures!: unknown;

  @Field(() => JSON, {
    nullable: true,
    description: 'exactMatch, f1, instructionFollowing, robustnessDelta, ...',
  })
  metrics!: unknown;

  @Field(() => JSON, { nullable: true })
  categories!: unknown;

  @Field(() => JSON, { nullable: true })
  errorTaxonomy!: unknown;

  @Field(() => JSON, { nullable: true })
  artifacts!: unknown;

  @Field(() => Int, { nullable: true })
  completedExamples!: number | null;

  @Field(() => Int, { nullable: true })
  totalExamples!: number | null;

  @Field(() => String, { nullable: true })
  failureReason!: string | null;

  @Field(() => DateTime)
  requestedAt!: Date;

  @Field(() => DateTime, { nullable: true })
  finishedAt!: Date | null;
}

export const toEvaluation = (row: Evaluation): EvaluationType => ({
  evaluationId: row.evaluation_id,
  status: row.status,
  modelName: row.model_name,
  modelVersion: row.model_version,
  datasetId: row.dataset_id,
  datasetRevision: row.dataset_revision,
  suites: row.suites,
  judge: row.judge,
  gate: row.gate,
  gatePassed: row.gate_passed,
  gateFailures: row.gate_failures,
  metrics: row.metrics,
  categories: row.categories,
  errorTaxonomy: row.error_taxonomy,
  artifacts: row.artifacts,
  completedExamples: row.completed_examples,
  totalExamples: row.total_examples,
  failureReason: row.failure_reason,
  requestedAt: row.requested_at,
  finishedAt: row.finished_at,
});

export const EvaluationConnection = connectionType('Evaluation', EvaluationType);
