import { isDomainError } from '../../domain/index.js';
import type { ClaimedJob, JobQueue } from '../runtime/jobQueue.js';
import type { ApiClient } from './apiClient.js';

/**
 * The job queue of a worker with no database: the API's claimJob, renewJobLease, releaseJob and
 * finishJob mutations, which make the same claims (SKIP LOCKED) and leases on the jobs table as the
 * in-process runtime, for the token's actor. The worker id passed in must be that actor. A payload's user
 * error (JOB_NOT_HELD, JOB_NOT_FOUND) comes back from the client as the DomainError it names.
 */
export function apiJobQueue(client: ApiClient): JobQueue {
  return {
    async claim({ kinds, leaseMs }) {
      const answer = await client.graphql<{ claimJob: { job: ClaimedJob | null } }>(
        `mutation ClaimJob($kinds: [JobKind!]!, $leaseMs: Int!) {
          claimJob(kinds: $kinds, leaseMs: $leaseMs) {
            job { jobId kind streamId payload correlationId failures }
            userErrors { code message details }
          }
        }`,
        { kinds: kinds.map((kind) => kind.toUpperCase()), leaseMs },
      );
      const job = answer.claimJob.job;
      return job ? { ...job, kind: job.kind.toLowerCase() } : undefined;
    },
    async renew(jobId, _workerId, leaseMs) {
      try {
        const answer = await client.graphql<{ renewJobLease: { renewed: boolean } }>(
          `mutation RenewJob($jobId: ID!, $leaseMs: Int!) {
            renewJobLease(jobId: $jobId, leaseMs: $leaseMs) { renewed userErrors { code message details } }
          }`,
          { jobId, leaseMs },
        );
        return answer.renewJobLease.renewed;
      } catch (error) {
        // A job gone from the queue is a lease lost, as the in-process queue answers it.
        if (isDomainError(error) && error.code === 'JOB_NOT_FOUND') return false;
        throw error;
      }
    },
    async release(jobId, _workerId, options = {}) {
      const answer = await client.graphql<{ releaseJob: { failures: number } }>(
        `mutation ReleaseJob($jobId: ID!, $error: String, $retryInMs: Int!) {
          releaseJob(jobId: $jobId, error: $error, retryInMs: $retryInMs) {
            failures
            userErrors { code message details }
          }
        }`,
        {
          jobId,
          error: options.error === undefined ? null : options.error.slice(0, 2000),
          retryInMs: Math.min(3_600_000, Math.max(0, Math.round(options.backoffMs ?? 0))),
        },
      );
      return answer.releaseJob.failures;
    },
    async finish(jobId, _workerId, status, error) {
      await client.graphql(
        `mutation FinishJob($jobId: ID!, $status: JobStatus!, $error: String) {
          finishJob(jobId: $jobId, status: $status, error: $error) { finished userErrors { code message details } }
        }`,
        { jobId, status: status.toUpperCase(), error: error === undefined ? null : error.slice(0, 2000) },
      );
    },
  };
}
