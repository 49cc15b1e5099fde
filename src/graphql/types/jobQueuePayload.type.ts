/**
 * What the job-queue mutations (claimJob, renewJobLease, releaseJob, finishJob) answer: their result and
 * `userErrors`, as every mutation does. They change the jobs table, not the log, so they have no stream,
 * version or events (they are not CommandPayloads). A job that does not exist (JOB_NOT_FOUND) or that the
 * caller does not hold (JOB_NOT_HELD) is a user error; bad arguments stay BAD_USER_INPUT.
 */
import { Field, Int, ObjectType } from 'type-graphql';
import { DomainError } from '../../domain/index.js';
import { toUserError, UserError } from './commandPayload.type.js';
import { JobClaimType } from './job.type.js';

@ObjectType('ClaimJobPayload')
export class ClaimJobPayload {
  @Field(() => JobClaimType, {
    nullable: true,
    description: 'The job claimed under a lease; null when none of these kinds is claimable now.',
  })
  job!: JobClaimType | null;

  @Field(() => [UserError], { description: 'Always empty: a claim finds a job or none.' })
  userErrors!: UserError[];
}

@ObjectType('RenewJobLeasePayload')
export class RenewJobLeasePayload {
  @Field({
    description:
      'False when the caller holds the job no more (taken over after its lease ran out, or finished): stop working on it.',
  })
  renewed!: boolean;

  @Field(() => [UserError], { description: 'JOB_NOT_FOUND when there is no such job.' })
  userErrors!: UserError[];
}

@ObjectType('ReleaseJobPayload')
export class ReleaseJobPayload {
  @Field(() => Int, { nullable: true, description: 'The failed attempts so far; null when refused.' })
  failures!: number | null;

  @Field(() => [UserError], {
    description: 'JOB_NOT_FOUND, or JOB_NOT_HELD when the caller does not hold the job (nothing changed).',
  })
  userErrors!: UserError[];
}

@ObjectType('FinishJobPayload')
export class FinishJobPayload {
  @Field({ description: 'True when the job has the status now (also when it had it already).' })
  finished!: boolean;

  @Field(() => [UserError], {
    description: 'JOB_NOT_FOUND, or JOB_NOT_HELD when the caller does not hold it (nothing changed).',
  })
  userErrors!: UserError[];
}

/** A job-queue refusal as the one user error of a payload. */
export function jobRefusal(
  code: 'JOB_NOT_FOUND' | 'JOB_NOT_HELD',
  message: string,
  details: Readonly<Record<string, unknown>>,
): UserError[] {
  return [toUserError(new DomainError(code, message, { field: 'jobId', ...details }))];
}
