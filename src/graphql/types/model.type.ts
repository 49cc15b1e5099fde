import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Node } from './node.type.js';
import type { ModelStage } from '../../domain/index.js';
import type { Model, ModelVersion, ModelVersionState } from '../../projections/index.js';
import { ModelStageEnum } from './enums.js';
import { connectionType } from './connection.js';
import { DateTime, JSON } from './scalars.js';

@ObjectType('ModelVersion', { implements: Node })
export class ModelVersionType {
  @Field()
  modelName!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => ID, { nullable: true })
  runId!: string | null;

  @Field(() => String, { nullable: true })
  baseModel!: string | null;

  @Field(() => JSON, { description: 'Artifact hashes (adapter, merged weights).' })
  artifacts!: unknown;

  @Field(() => JSON, { nullable: true })
  trainingSummary!: unknown;

  @Field(() => ModelStageEnum)
  stage!: ModelStage;

  @Field({ description: 'False once archived (retention keeps the last 3 versions).' })
  retained!: boolean;

  @Field(() => JSON, { nullable: true, description: 'Evaluation ids the promotion rested on.' })
  evidence!: unknown;

  @Field(() => String, { nullable: true })
  approvedBy!: string | null;

  @Field(() => String, { nullable: true })
  archivedReason!: string | null;

  @Field(() => DateTime)
  registeredAt!: Date;

  @Field(() => DateTime, { nullable: true })
  promotedAt!: Date | null;

  @Field(() => DateTime, { nullable: true })
  archivedAt!: Date | null;
}

export const toModelVersion = (row: ModelVersion): ModelVersionType => ({
  modelName: row.model_name,
  version: row.version,
  runId: row.run_id,
  baseModel: row.base_model,
  artifacts: row.artifacts,
  trainingSummary: row.training_summary,
  stage: row.stage as ModelStage,
  retained: row.retained,
  evidence: row.evidence,
  approvedBy: row.approved_by,
  archivedReason: row.archived_reason,
  registeredAt: row.registered_at,
  promotedAt: row.promoted_at,
  archivedAt: row.archived_at,
});

/** A version as folded from the log for `asOf` questions (fewer facts than the read model keeps). */
export const fromVersionState = (state: ModelVersionState): ModelVersionType => ({
  modelName: state.modelName,
  version: state.version,
  runId: state.runId,
  baseModel: state.baseModel,
  artifacts: state.artifacts,
  trainingSummary: null,
  stage: state.stage,
  retained: state.retained,
  evidence: state.evidence,
  approvedBy: state.approvedBy,
  archivedReason: state.archivedReason,
  registeredAt: new Date(state.registeredAt),
  promotedAt: null,
  archivedAt: null,
});

export const ModelVersionConnection = connectionType('ModelVersion', ModelVersionType);

@ObjectType('Model', { implements: Node })
export class ModelType {
  @Field()
  modelName!: string;

  @Field(() => Int)
  latestVersion!: number;

  @Field(() => Int, { nullable: true })
  stagingVersion!: number | null;

  @Field(() => Int, { nullable: true })
  productionVersion!: number | null;

  @Field(() => DateTime)
  registeredAt!: Date;

  @Field(() => DateTime)
  updatedAt!: Date;
}

export const toModel = (row: Model): ModelType => ({
  modelName: row.model_name,
  latestVersion: row.latest_version,
  stagingVersion: row.staging_version,
  productionVersion: row.production_version,
  registeredAt: row.registered_at,
  updatedAt: row.updated_at,
});

export const ModelConnection = connectionType('Model', ModelType);
