import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { Node } from './node.type.js';
import type { DatasetFormat, TransformKind } from '../../domain/index.js';
import type { Dataset, DatasetRevision } from '../../projections/index.js';
import { DatasetFormatEnum, TransformKindEnum } from './enums.js';
import { connectionType } from './connection.js';
import { DateTime, JSON } from './scalars.js';

@ObjectType('DatasetRevision', { implements: Node })
export class DatasetRevisionType {
  @Field(() => ID)
  datasetId!: string;

  @Field(() => Int)
  revision!: number;

  @Field({ description: 'sha256 of the canonical content.' })
  contentHash!: string;

  @Field(() => Int)
  recordCount!: number;

  @Field(() => Float, { description: 'Bytes; Float, as everywhere in the API, for sizes above 2^31.' })
  byteSize!: number;

  @Field(() => JSON, { description: 'train/eval splits with their hashes.' })
  splits!: unknown;

  @Field(() => Int, { nullable: true })
  parentRevision!: number | null;

  @Field(() => TransformKindEnum)
  transformKind!: TransformKind;

  @Field(() => JSON)
  transform!: unknown;

  @Field(() => JSON, { nullable: true, description: 'PII found and redacted, by kind.' })
  piiReport!: unknown;

  @Field(() => JSON, { nullable: true })
  qualityReport!: unknown;

  @Field(() => Int)
  sourceInteractionCount!: number;

  @Field(() => DateTime)
  addedAt!: Date;
}

export const toDatasetRevision = (row: DatasetRevision): DatasetRevisionType => ({
  datasetId: row.dataset_id,
  revision: row.revision,
  contentHash: row.content_hash,
  recordCount: row.record_count,
  byteSize: row.byte_size,
  splits: row.splits,
  parentRevision: row.parent_revision,
  // The projection stores the event's validated value.
  transformKind: row.transform_kind as TransformKind,
  transform: row.transform,
  piiReport: row.pii_report,
  qualityReport: row.quality_report,
  sourceInteractionCount: row.source_interaction_count,
  addedAt: row.added_at,
});

export const DatasetRevisionConnection = connectionType('DatasetRevision', DatasetRevisionType);

@ObjectType('Dataset', { implements: Node })
export class DatasetType {
  @Field(() => ID)
  datasetId!: string;

  @Field()
  name!: string;

  @Field()
  domain!: string;

  @Field()
  description!: string;

  @Field(() => DatasetFormatEnum)
  format!: DatasetFormat;

  @Field(() => Int, { nullable: true })
  latestRevision!: number | null;

  @Field(() => Int)
  revisionCount!: number;

  @Field()
  archived!: boolean;

  @Field(() => String, { nullable: true })
  archivedReason!: string | null;

  @Field(() => DateTime)
  registeredAt!: Date;

  @Field(() => DateTime)
  updatedAt!: Date;
}

export const toDataset = (row: Dataset): DatasetType => ({
  datasetId: row.dataset_id,
  name: row.name,
  domain: row.domain,
  description: row.description,
  format: row.format as DatasetFormat,
  latestRevision: row.latest_revision,
  revisionCount: row.revision_count,
  archived: row.archived,
  archivedReason: row.archived_reason,
  registeredAt: row.registered_at,
  updatedAt: row.updated_at,
});

export const DatasetConnection = connectionType('Dataset', DatasetType);
