import { Node } from './node.type.js';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { Job, JobKind, JobStatus } from '../../projections/index.js';
import { JobKindEnum, JobStatusEnum } from './enums.js';
import { connectionType } from './connection.js';
import { DateTime, JSON } from './scalars.js';

@ObjectType('Job', {
  implements: Node,
  description: 'Work for a worker: train, evaluate, augment, deploy, rollback.',
})
export class JobType {
  @Field(() => ID)
  jobId!: string;

  @Field(() => JobKindEnum)
  kind!: JobKind;

  @Field({ description: 'The stream the worker reports to, e.g. run-<id>.' })
  streamId!: string;

  @Field(() => JobStatusEnum)
  status!: JobStatus;

  @Field(() => Int)
  attempts!: number;

  @Field(() => JSON)
  payload!: unknown;

  @Field(() => String, { nullable: true })
  claimedBy!: string | null;

  @Field(() => DateTime, { nullable: true })
  leaseUntil!: Date | null;

  @Field(() => DateTime, { nullable: true })
  heartbeatAt!: Date | null;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => DateTime)
  requestedAt!: Date;

  @Field(() => DateTime, { nullable: true })
  finishedAt!: Date | null;
}

export const toJob = (row: Job): JobType => ({
  jobId: row.job_id,
  kind: row.kind as JobKind,
  streamId: row.stream_id,
  status: row.status,
  attempts: row.attempts,
  payload: row.payload,
  claimedBy: row.claimed_by,
  leaseUntil: row.lease_until,
  heartbeatAt: row.heartbeat_at,
  lastError: row.last_error,
  requestedAt: row.requested_at,
  finishedAt: row.finished_at,
});

export const JobConnection = connectionType('Job', JobType);

@ObjectType('JobClaim', {
  description: 'A job claimed by the caller under a lease (claimJob): what a worker with no database runs.',
})
export class JobClaimType {
  @Field(() => ID)
  jobId!: string;

  @Field(() => JobKindEnum)
  kind!: JobKind;

  @Field({ description: 'The stream the worker reports to, e.g. run-<id>.' })
  streamId!: string;

  @Field(() => JSON, { description: 'The *Requested event the job was projected from.' })
  payload!: unknown;

  @Field({ description: 'Correlation id of the request; the worker reports under it.' })
  correlationId!: string;

  @Field(() => Int, { description: 'Failed attempts so far (released with an error).' })
  failures!: number;
}
