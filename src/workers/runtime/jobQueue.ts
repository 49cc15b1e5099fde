import type { Kysely } from 'kysely';
import { redactKeptText } from '../../services/index.js';
import {
  claimNextJob,
  finishJob,
  releaseJob,
  renewJobLease,
  type ClaimedJob,
} from '../../projections/index.js';

export type { ClaimedJob };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the shared database holds every area's tables
type Db = Kysely<any>;

/**
 * What the worker runtime needs of a job queue: the jobs table itself (databaseJobQueue), or the API's
 * job mutations for a worker with no database (src/workers/remote).
 */
export interface JobQueue {
  claim(options: {
    readonly kinds: readonly string[];
    readonly workerId: string;
    readonly leaseMs: number;
  }): Promise<ClaimedJob | undefined>;
  /** false when this worker no longer holds the job. */
  renew(jobId: string, workerId: string, leaseMs: number): Promise<boolean>;
  /** Gives the job back (with an error: a failure, retried after backoffMs); returns the failures so far. */
  release(
    jobId: string,
    workerId: string,
    options?: { readonly error?: string; readonly backoffMs?: number },
  ): Promise<number>;
  finish(
    jobId: string,
    workerId: string,
    status: 'succeeded' | 'failed' | 'cancelled',
    error?: string,
  ): Promise<void>;
}

/** The job queue of a worker that shares the database: the jobs table, claimed with SKIP LOCKED. */
export function databaseJobQueue(db: Db): JobQueue {
  return {
    claim: (options) => claimNextJob(db, options),
    renew: (jobId, workerId, leaseMs) => renewJobLease(db, jobId, workerId, leaseMs),
    // An error message may quote the data the job failed on: it is kept redacted.
    release: (jobId, workerId, options) =>
      releaseJob(db, jobId, workerId, {
        ...options,
        ...(options?.error !== undefined ? { error: redactKeptText(options.error) } : {}),
      }),
    finish: (jobId, _workerId, status, error) => finishJob(db, jobId, status, redactKeptText(error)),
  };
}
