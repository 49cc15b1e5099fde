import type { RecordedEvent } from '../eventstore/eventStore.js';
import type { JobStatus } from './schema.js';
import { dataOf } from './lifecycleEvent.js';
import type { Projection, ReadModelTransaction } from './projection.js';
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

/**
 * Work for workers, projected from the *Requested events. The worker runtime claims rows with
 * SELECT ... FOR UPDATE SKIP LOCKED and writes claimed_by / lease_until / heartbeat_at itself; the
 * outcome events it appends move the status here. A rebuild restores leases from *Claimed events.
 */
export const jobsProjection: Projection = {
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
};

/** The job an event is about, by id; undefined for an activation (found by its stream). */
function jobOf(event: RecordedEvent): string | undefined {
  const data = event.data as Record<string, string>;
  switch (event.type) {
    case 'TrainingRunRequested':
    case 'TrainingRunClaimed':
    case 'TrainingRunLeaseRenewed':
    case 'TrainingRunLeaseExpired':
    case 'TrainingRunCompleted':
    case 'TrainingRunFailed':
    case 'TrainingRunCancelled':
      return jobId('train', data['runId']!);
    case 'EvaluationRequested':
    case 'EvaluationClaimed':
    case 'EvaluationLeaseRenewed':
    case 'EvaluationCompleted':
    case 'EvaluationFailed':
      return jobId('evaluate', data['evaluationId']!);
    case 'AugmentationRequested':
    case 'AugmentationCompleted':
    case 'AugmentationFailed':
      return jobId('augment', data['augmentationId']!);
    case 'RollbackRequested':
    case 'RolledBack':
      return jobId('rollback', data['rollbackId']!);
    case 'DeploymentRequested':
      return jobId('deploy', event.eventId);
    default:
      return undefined;
  }
}

async function applyJobs(trx: ReadModelTransaction, events: readonly RecordedEvent[]): Promise<void> {
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

function applyJob(jobs: RowBatch, event: RecordedEvent): void {
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
      return request('train', dataOf(event, 'TrainingRunRequested').requestedAt);
    case 'EvaluationRequested':
      return request('evaluate', dataOf(event, 'EvaluationRequested').requestedAt);
    case 'AugmentationRequested':
      return request('augment', dataOf(event, 'AugmentationRequested').requestedAt);
    case 'RollbackRequested':
      return request('rollback', dataOf(event, 'RollbackRequested').requestedAt);
    case 'DeploymentRequested':
      return request('deploy', dataOf(event, 'DeploymentRequested').requestedAt);
    case 'TrainingRunClaimed': {
      const d = dataOf(event, 'TrainingRunClaimed');
      return claim(d.workerId, d.leaseUntil, d.attempt, d.claimedAt);
    }
    case 'EvaluationClaimed': {
      const d = dataOf(event, 'EvaluationClaimed');
      return claim(d.workerId, d.leaseUntil, d.attempt, d.claimedAt);
    }
    case 'TrainingRunLeaseRenewed': {
      const d = dataOf(event, 'TrainingRunLeaseRenewed');
      return jobs.update(id!, { lease_until: d.leaseUntil, updated_at: event.metadata.recordedAt });
    }
    case 'EvaluationLeaseRenewed': {
      const d = dataOf(event, 'EvaluationLeaseRenewed');
      return jobs.update(id!, { lease_until: d.leaseUntil, updated_at: event.metadata.recordedAt });
    }
    case 'TrainingRunLeaseExpired': {
      const d = dataOf(event, 'TrainingRunLeaseExpired');
      // The queue hands the job to the next worker before this event is projected (the expiry is recorded
      // with that claim): undo only the expired holder's claim, never the new holder's.
      return jobs.update(id!, (row) =>
        row['claimed_by'] !== null && row['claimed_by'] !== d.workerId
          ? {}
          : { status: 'queued', claimed_by: null, lease_until: null, updated_at: d.detectedAt },
      );
    }
    case 'TrainingRunCompleted':
      return finish('succeeded', dataOf(event, 'TrainingRunCompleted').completedAt);
    case 'TrainingRunFailed': {
      const d = dataOf(event, 'TrainingRunFailed');
      return finish('failed', d.failedAt, d.reason);
    }
    case 'TrainingRunCancelled': {
      const d = dataOf(event, 'TrainingRunCancelled');
      return finish('cancelled', d.cancelledAt, d.reason);
    }
    case 'EvaluationCompleted':
      return finish('succeeded', dataOf(event, 'EvaluationCompleted').completedAt);
    case 'EvaluationFailed': {
      const d = dataOf(event, 'EvaluationFailed');
      return finish('failed', d.failedAt, d.reason);
    }
    case 'AugmentationCompleted':
      return finish('succeeded', dataOf(event, 'AugmentationCompleted').completedAt);
    case 'AugmentationFailed': {
      const d = dataOf(event, 'AugmentationFailed');
      return finish('failed', d.failedAt, d.reason);
    }
    case 'RolledBack':
      return finish('succeeded', dataOf(event, 'RolledBack').rolledBackAt);
    case 'DeploymentActivated': {
      // The deploy requests this activation answers: the open ones on the same stream.
      const at = dataOf(event, 'DeploymentActivated').activatedAt;
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
  }
}
