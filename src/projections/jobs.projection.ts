import { assertNever } from '../domain/index.js';
import type { ProjectedEvent } from './lifecycleEvent.js';
import type { JobStatus } from './schema.js';
import { defineProjection, type ReadModelTransaction } from './projection.js';
import { RowBatch } from './rowBatch.js';

export type JobKind = 'train' | 'evaluate' | 'augment' | 'rollback' | 'deploy';

/** Job ids are stable and derived from the request, so a rebuild gives the same ids. */
export function jobId(kind: JobKind, id: string): string {
  return `${kind}-${id}`;
}

const handles = [
  'TrainingRunRequested',
  'TrainingRunClaimed',
  'TrainingRunLeaseRenewed',
  'TrainingRunLeaseExpired',
  'TrainingRunCompleted',
  'TrainingRunFailed',
  'TrainingRunCancelled',
  'EvaluationRequested',
  'EvaluationClaimed',
  'EvaluationLeaseRenewed',
  'EvaluationCompleted',
  'EvaluationFailed',
  'AugmentationRequested',
  'AugmentationCompleted',
  'AugmentationFailed',
  'RollbackRequested',
  'RolledBack',
  'DeploymentRequested',
  'DeploymentActivated',
] as const;
type JobEventType = (typeof handles)[number];
type JobEvent = ProjectedEvent<JobEventType>;

/**
 * Work for workers, projected from the *Requested events. The worker runtime claims rows with
 * SELECT ... FOR UPDATE SKIP LOCKED and writes claimed_by / lease_until / heartbeat_at itself; the
 * outcome events it appends move the status here. A rebuild restores leases from *Claimed events.
 */
export const jobsProjection = defineProjection({
  name: 'jobs',
  version: 1,
  handles,
  tables: ['jobs'],
  async apply(trx, event) {
    await applyJobs(trx, [event]);
  },
  async applyBatch(trx, events) {
    await applyJobs(trx, events);
  },
});

/** The job an event is about, by id; undefined for an activation (found by its stream). */
function jobOf(event: JobEvent): string | undefined {
  switch (event.type) {
    case 'TrainingRunRequested':
    case 'TrainingRunClaimed':
    case 'TrainingRunLeaseRenewed':
    case 'TrainingRunLeaseExpired':
    case 'TrainingRunCompleted':
    case 'TrainingRunFailed':
    case 'TrainingRunCancelled':
      return jobId('train', event.data.runId);
    case 'EvaluationRequested':
    case 'EvaluationClaimed':
    case 'EvaluationLeaseRenewed':
    case 'EvaluationCompleted':
    case 'EvaluationFailed':
      return jobId('evaluate', event.data.evaluationId);
    case 'AugmentationRequested':
    case 'AugmentationCompleted':
    case 'AugmentationFailed':
      return jobId('augment', event.data.augmentationId);
    case 'RollbackRequested':
    case 'RolledBack':
      return jobId('rollback', event.data.rollbackId);
    case 'DeploymentRequested':
      return jobId('deploy', event.eventId);
    case 'DeploymentActivated':
      return undefined;
    default:
      return assertNever(event);
  }
}

async function applyJobs(trx: ReadModelTransaction, events: readonly JobEvent[]): Promise<void> {
  // The job queue updates these rows too (claims, leases, releases): locked while the batch works.
  const jobs = new RowBatch('jobs', 'job_id', ['payload'], { lockRows: true });
  await jobs.load(
    trx,
    events.map(jobOf).filter((id): id is string => id !== undefined),
  );
  await jobs.loadWhere(
    trx,
    'stream_id',
    events.filter((e) => e.type === 'DeploymentActivated').map((e) => e.streamId),
  );
  for (const event of events) applyJob(jobs, event);
  await jobs.flush(trx);
}

function applyJob(jobs: RowBatch, event: JobEvent): void {
  const id = jobOf(event);
  const request = (kind: JobKind, at: string) =>
    jobs.insert({
      job_id: id!,
      kind,
      stream_id: event.streamId,
      status: 'queued',
      attempts: 0,
      payload: event.data,
      correlation_id: event.metadata.correlationId,
      claimed_by: null,
      lease_until: null,
      heartbeat_at: null,
      last_error: null,
      requested_at: at,
      started_at: null,
      finished_at: null,
      updated_at: at,
    });
  // A claim replayed after the runtime released the row (a projection lagging behind a quick release)
  // must not mark it running again: the release is newer. A rebuild has no such row, so claims apply.
  const releasedSince = (row: Record<string, unknown>, at: string) =>
    row['status'] === 'queued' &&
    row['claimed_by'] === null &&
    row['updated_at'] !== null &&
    new Date(row['updated_at'] as string | Date).getTime() > Date.parse(at);
  const claim = (workerId: string, leaseUntil: string, attempt: number, at: string) =>
    jobs.update(id!, (row) =>
      releasedSince(row, at)
        ? { attempts: Math.max(Number(row['attempts'] ?? 0), attempt) }
        : {
            status: 'running',
            claimed_by: workerId,
            lease_until: leaseUntil,
            attempts: attempt,
            started_at: row['started_at'] ?? at,
            updated_at: at,
          },
    );
  const finish = (status: JobStatus, at: string, error?: string) =>
    jobs.update(id!, {
      status,
      lease_until: null,
      finished_at: at,
      updated_at: at,
      ...(error ? { last_error: error } : {}),
    });
  switch (event.type) {
    case 'TrainingRunRequested':
      return request('train', event.data.requestedAt);
    case 'EvaluationRequested':
      return request('evaluate', event.data.requestedAt);
    case 'AugmentationRequested':
      return request('augment', event.data.requestedAt);
    case 'RollbackRequested':
      return request('rollback', event.data.requestedAt);
    case 'DeploymentRequested':
      return request('deploy', event.data.requestedAt);
    case 'TrainingRunClaimed': {
      const d = event.data;
      return claim(d.workerId, d.leaseUntil, d.attempt, d.claimedAt);
    }
    case 'EvaluationClaimed': {
      const d = event.data;
      return claim(d.workerId, d.leaseUntil, d.attempt, d.claimedAt);
    }
    case 'TrainingRunLeaseRenewed': {
      const d = event.data;
      return jobs.update(id!, { lease_until: d.leaseUntil, updated_at: event.metadata.recordedAt });
    }
    case 'EvaluationLeaseRenewed': {
      const d = event.data;
      return jobs.update(id!, { lease_until: d.leaseUntil, updated_at: event.metadata.recordedAt });
    }
    case 'TrainingRunLeaseExpired': {
      const d = event.data;
      // The queue hands the job to the next worker before this event is projected (the expiry is recorded
      // with that claim): undo only the expired holder's claim, never the new holder's.
      return jobs.update(id!, (row) =>
        row['claimed_by'] !== null && row['claimed_by'] !== d.workerId
          ? {}
          : { status: 'queued', claimed_by: null, lease_until: null, updated_at: d.detectedAt },
      );
    }
    case 'TrainingRunCompleted':
      return finish('succeeded', event.data.completedAt);
    case 'TrainingRunFailed': {
      const d = event.data;
      return finish('failed', d.failedAt, d.reason);
    }
    case 'TrainingRunCancelled': {
      const d = event.data;
      return finish('cancelled', d.cancelledAt, d.reason);
    }
    case 'EvaluationCompleted':
      return finish('succeeded', event.data.completedAt);
    case 'EvaluationFailed': {
      const d = event.data;
      return finish('failed', d.failedAt, d.reason);
    }
    case 'AugmentationCompleted':
      return finish('succeeded', event.data.completedAt);
    case 'AugmentationFailed': {
      const d = event.data;
      return finish('failed', d.failedAt, d.reason);
    }
    case 'RolledBack':
      return finish('succeeded', event.data.rolledBackAt);
    case 'DeploymentActivated': {
      // The deploy requests this activation answers: the open ones on the same stream.
      const at = event.data.activatedAt;
      for (const row of [...jobs.values()]) {
        if (
          row['stream_id'] === event.streamId &&
          row['kind'] === 'deploy' &&
          ['queued', 'running'].includes(row['status'] as string)
        ) {
          jobs.update(row['job_id'] as string, { status: 'succeeded', finished_at: at, updated_at: at });
        }
      }
      return;
    }
    default:
      assertNever(event);
  }
}
