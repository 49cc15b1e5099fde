import { sql } from 'kysely';
import { Arg, Ctx, ID, Int, Mutation, Resolver, UseMiddleware } from 'type-graphql';
import {
  claimNextJob,
  finishHeldJob,
  releaseJob,
  renewJobLease,
  type JobKind,
  type JobStatus,
} from '../../projections/index.js';
import type { ApiContext } from '../context.js';
import { requireAction } from '../context.js';
import { badInput } from '../errors.js';
import {
  ClaimJobPayload,
  FinishJobPayload,
  jobRefusal,
  ReleaseJobPayload,
  RenewJobLeasePayload,
} from '../types/jobQueuePayload.type.js';
import { JobKindEnum, JobStatusEnum } from '../types/enums.js';
import { redactKeptText } from '../../services/index.js';
import { MutationRequest } from './mutationRequest.js';

/** The longest lease a worker may take on a job (one hour): a dead worker's job is free again by then. */
const MAX_LEASE_MS = 3_600_000;
/** The longest a released job may be held back before its next claim. */
const MAX_RETRY_IN_MS = 3_600_000;

function checkMs(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badInput(`${name} must be a whole number of milliseconds from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** A job's status and holder; undefined when there is no such job. */
async function jobState(
  context: ApiContext,
  jobId: string,
): Promise<{ status: string; claimed_by: string | null } | undefined> {
  const { rows } = await sql<{ status: string; claimed_by: string | null }>`
    SELECT status, claimed_by FROM jobs WHERE job_id = ${jobId}`.execute(context.deps.db);
  return rows[0];
}

/**
 * The job queue for workers with no database (worker role): the same claims (SKIP LOCKED), leases,
 * releases and settlements the in-process runtime makes on the jobs table, with the caller's actor as the
 * worker id. Only the holder of a job renews, releases or finishes it.
 */
@UseMiddleware(MutationRequest)
@Resolver()
export class JobQueueResolver {
  @Mutation(() => ClaimJobPayload, {
    description:
      'Claim the oldest claimable job of these kinds (worker): queued, or running under a lease that ran out. `job` is null when there is none. The lease runs leaseMs from now; renew it with renewJobLease.',
  })
  async claimJob(
    @Ctx() context: ApiContext,
    @Arg('kinds', () => [JobKindEnum]) kinds: JobKind[],
    @Arg('leaseMs', () => Int, { defaultValue: 60_000 }) leaseMs: number,
  ): Promise<ClaimJobPayload> {
    requireAction(context, 'work', 'claim jobs');
    if (kinds.length === 0) throw badInput('kinds must name at least one job kind');
    const claimed = await claimNextJob(context.deps.db, {
      kinds,
      workerId: context.viewer.actor,
      leaseMs: checkMs('leaseMs', leaseMs, 1000, MAX_LEASE_MS),
    });
    return { job: claimed ? { ...claimed, kind: claimed.kind as JobKind } : null, userErrors: [] };
  }

  @Mutation(() => RenewJobLeasePayload, {
    description:
      'Extend the lease on a job the caller holds (worker); `renewed` is false when it holds it no more (taken over after its lease ran out, or finished): stop working on it.',
  })
  async renewJobLease(
    @Ctx() context: ApiContext,
    @Arg('jobId', () => ID) jobId: string,
    @Arg('leaseMs', () => Int, { defaultValue: 60_000 }) leaseMs: number,
  ): Promise<RenewJobLeasePayload> {
    requireAction(context, 'work', 'renew job leases');
    const lease = checkMs('leaseMs', leaseMs, 1000, MAX_LEASE_MS);
    if (await renewJobLease(context.deps.db, jobId, context.viewer.actor, lease)) {
      return { renewed: true, userErrors: [] };
    }
    const job = await jobState(context, jobId);
    return {
      renewed: false,
      userErrors: job ? [] : jobRefusal('JOB_NOT_FOUND', `there is no job ${jobId}`, { jobId }),
    };
  }

  @Mutation(() => ReleaseJobPayload, {
    description:
      'Give a held job back to the queue (worker). With an error it counts as a failed attempt and may be claimed again after retryInMs. Answers the failed attempts so far; the user error JOB_NOT_HELD when the caller does not hold the job.',
  })
  async releaseJob(
    @Ctx() context: ApiContext,
    @Arg('jobId', () => ID) jobId: string,
    @Arg('error', () => String, { nullable: true }) givenError: string | null | undefined,
    @Arg('retryInMs', () => Int, { defaultValue: 0 }) retryInMs: number,
  ): Promise<ReleaseJobPayload> {
    requireAction(context, 'work', 'release jobs');
    const error = givenError ?? undefined;
    const backoffMs = checkMs('retryInMs', retryInMs, 0, MAX_RETRY_IN_MS);
    if (error !== undefined && error.length > 2000) throw badInput('error must be at most 2000 characters');
    // A worker's error message may quote the data it failed on: it is kept redacted.
    const keptError = redactKeptText(error);
    const row = await jobState(context, jobId);
    if (!row) {
      return {
        failures: null,
        userErrors: jobRefusal('JOB_NOT_FOUND', `there is no job ${jobId}`, { jobId }),
      };
    }
    // A job given up is finished first, then its last failure counted: the holder may still count it.
    const holds = row.status === 'running' && row.claimed_by === context.viewer.actor;
    if (!holds && !(row.status === 'failed' && error !== undefined)) {
      return {
        failures: null,
        userErrors: jobRefusal(
          'JOB_NOT_HELD',
          `${context.viewer.actor} does not hold job ${jobId} (it is ${row.status}); stop working on it`,
          { jobId, status: row.status },
        ),
      };
    }
    const failures = await releaseJob(context.deps.db, jobId, context.viewer.actor, {
      ...(keptError !== undefined ? { error: keptError } : {}),
      backoffMs,
    });
    return { failures, userErrors: [] };
  }

  @Mutation(() => FinishJobPayload, {
    description:
      'Mark a held job finished (worker) once its outcome is recorded (completeJob, failJob, ...), so no other worker claims it before the projection gets there. `finished` also when it already has that status; the user error JOB_NOT_HELD when the caller does not hold it.',
  })
  async finishJob(
    @Ctx() context: ApiContext,
    @Arg('jobId', () => ID) jobId: string,
    @Arg('status', () => JobStatusEnum) status: JobStatus,
    @Arg('error', () => String, { nullable: true }) givenError: string | null | undefined,
  ): Promise<FinishJobPayload> {
    requireAction(context, 'work', 'finish jobs');
    const error = givenError ?? undefined;
    if (status !== 'succeeded' && status !== 'failed' && status !== 'cancelled') {
      throw badInput(`status must be SUCCEEDED, FAILED or CANCELLED, got ${status.toUpperCase()}`);
    }
    if (error !== undefined && error.length > 2000) throw badInput('error must be at most 2000 characters');
    // A worker's error message may quote the data it failed on: it is kept redacted.
    const keptError = redactKeptText(error);
    if (await finishHeldJob(context.deps.db, jobId, context.viewer.actor, status, keptError)) {
      return { finished: true, userErrors: [] };
    }
    const row = await jobState(context, jobId);
    return {
      finished: false,
      userErrors: row
        ? jobRefusal(
            'JOB_NOT_HELD',
            `${context.viewer.actor} does not hold job ${jobId}, and it is not ${status.toUpperCase()}; stop working on it`,
            { jobId, status: row.status },
          )
        : jobRefusal('JOB_NOT_FOUND', `there is no job ${jobId}`, { jobId }),
    };
  }
}
