import { Field, Int, ObjectType } from 'type-graphql';
import { Node } from './node.type.js';
import type {
  Deployment,
  DeploymentHistoryEntry,
  DeploymentHistoryKind,
  DeploymentState,
  DeploymentStatus,
} from '../../projections/index.js';
import { DeploymentHistoryKindEnum, DeploymentStatusEnum } from './enums.js';
import { connectionType } from './connection.js';
import { DateTime, JSON } from './scalars.js';

@ObjectType('Deployment', { implements: Node })
export class DeploymentType {
  @Field()
  deploymentName!: string;

  @Field(() => DeploymentStatusEnum)
  status!: DeploymentStatus;

  @Field(() => String, { nullable: true })
  environment!: string | null;

  @Field(() => String, { nullable: true })
  modelName!: string | null;

  @Field(() => Int, { nullable: true })
  activeVersion!: number | null;

  @Field(() => Int, { nullable: true })
  previousVersion!: number | null;

  @Field(() => Int, { nullable: true })
  requestedVersion!: number | null;

  @Field(() => String, { nullable: true })
  endpoint!: string | null;

  @Field(() => Int)
  degradationCount!: number;

  @Field(() => Int)
  rollbackCount!: number;

  @Field(() => JSON, { nullable: true })
  lastDegradation!: unknown;

  @Field(() => DateTime)
  createdAt!: Date;

  @Field(() => DateTime)
  updatedAt!: Date;
}

export const toDeployment = (row: Deployment): DeploymentType => ({
  deploymentName: row.deployment_name,
  // The projection stores the fold's status.
  status: row.status as DeploymentStatus,
  environment: row.environment,
  modelName: row.model_name,
  activeVersion: row.active_version,
  previousVersion: row.previous_version,
  requestedVersion: row.requested_version,
  endpoint: row.endpoint,
  degradationCount: row.degradation_count,
  rollbackCount: row.rollback_count,
  lastDegradation: row.last_degradation,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export const fromDeploymentState = (state: DeploymentState): DeploymentType => ({
  ...state,
  createdAt: new Date(state.createdAt),
  updatedAt: new Date(state.updatedAt),
});

export const DeploymentConnection = connectionType('Deployment', DeploymentType);

@ObjectType('DeploymentHistoryEntry', {
  description: 'Requested, activated, degraded, rollback requested, rolled back.',
})
export class DeploymentHistoryType {
  @Field()
  eventId!: string;

  @Field(() => Int)
  streamVersion!: number;

  @Field(() => DeploymentHistoryKindEnum)
  kind!: DeploymentHistoryKind;

  @Field(() => String, { nullable: true })
  modelName!: string | null;

  @Field(() => Int, { nullable: true })
  version!: number | null;

  @Field(() => Int, { nullable: true })
  fromVersion!: number | null;

  @Field(() => JSON, { description: 'Who, why, trigger, evidence, metrics.' })
  details!: unknown;

  @Field(() => DateTime)
  recordedAt!: Date;
}

export const toDeploymentHistory = (row: DeploymentHistoryEntry): DeploymentHistoryType => ({
  eventId: row.event_id,
  streamVersion: row.stream_version,
  kind: row.kind as DeploymentHistoryKind,
  modelName: row.model_name,
  version: row.version,
  fromVersion: row.from_version,
  details: row.details,
  recordedAt: row.recorded_at,
});

export const DeploymentHistoryConnection = connectionType('DeploymentHistory', DeploymentHistoryType);
