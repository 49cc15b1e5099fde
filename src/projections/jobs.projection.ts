import { sql } from 'kysely';
import type { RecordedEvent } from '../eventstore/eventStore.js';
import type { JobStatus } from './schema.js';
import { dataOf } from './lifecycleEvent.js';
import { json, type Projection, type ReadModelTransaction } from './projection.js';

export type JobKind = 'train' | 'evaluate' | 'augment' | 'rollback' | 'deploy';

/** Job ids are stable and derived from the request, so a rebuild gives the same ids. */
export function jobId(kind: JobKind, id: string): string {
  return `${kind}-${id}`;
}

/**
 * Work for workers, projected from the *Requested events. The worker runtime claims rows with
 * SELECT ... FOR UPDATE SKIP LOCKED and writes claimed_by / lease_until / heartbeat_at itself; the
 * outcome events it appends move the status here. A rebuild restores leases from *Claimed events.
 */
export const jobsProjection: Projection = {
  name: 'jobs',
  version: 1,
  handles: [
    'TrainingRunRequested',
    'TrainingRunClaimed',
    'TrainingRunLeaseRenewed',
    'TrainingRunLeaseExpired',
    'TrainingRunCompleted',
    'TrainingRunFailed',
    'TrainingRunCancelled',
    'EvaluationRequested',
    'EvaluationClaimed',
    'EvaluationCompleted',
    'EvaluationFailed',
    'AugmentationRequested',
    'AugmentationCompleted',
    'AugmentationFailed',
    'RollbackRequested',
    'RolledBack',
    'DeploymentRequested',
    'DeploymentActivated',
  ],
  tables: ['jobs'],
  async apply(trx, event) {
    switch (event.type) {
      case 'TrainingRunRequested': {
        const d = dataOf(event, 'TrainingRunRequested');
        return request(trx, event, jobId('train', d.runId), 'train', d.requestedAt);
      }
      case 'EvaluationRequested': {
        const d = dataOf(event, 'EvaluationRequested');
        return request(trx, event, jobId('evaluate', d.evaluationId), 'evaluate', d.requestedAt);
      }
      case 'AugmentationRequested': {
        const d = dataOf(event, 'AugmentationRequested');
        return request(trx, event, jobId('augment', d.augmentationId), 'augment', d.requestedAt);
      }
      case 'RollbackRequested': {
        const d = dataOf(event, 'RollbackRequested');
        return request(trx, event, jobId('rollback', d.rollbackId), 'rollback', d.requestedAt);
      }
      case 'DeploymentRequested': {
        const d = dataOf(event, 'DeploymentRequested');
        return request(trx, event, jobId('deploy', event.eventId), 'deploy', d.requestedAt);
      }
      case 'TrainingRunClaimed': {
        const d = dataOf(event, 'TrainingRunClaimed');
        return claim(trx, jobId('train', d.runId), d.workerId, d.leaseUntil, d.attempt, d.claimedAt);
      }
      case 'EvaluationClaimed': {
        const d = dataOf(event, 'EvaluationClaimed');
        return claim(
          trx,
          jobId('evaluate', d.evaluationId),
          d.workerId,
          d.leaseUntil,
          d.attempt,
          d.claimedAt,
        );
      }
      case 'TrainingRunLeaseRenewed': {
        const d = dataOf(event, 'TrainingRunLeaseRenewed');
        await trx
          .updateTable('jobs')
          .set({ lease_until: d.leaseUntil, updated_at: event.metadata.recordedAt })
          .where('job_id', '=', jobId('train', d.runId))
          .execute();
        return;
      }
      case 'TrainingRunLeaseExpired': {
        const d = dataOf(event, 'TrainingRunLeaseExpired');
        await trx
          .updateTable('jobs')
          .set({ status: 'queued', claimed_by: null, lease_until: null, updated_at: d.detectedAt })
          .where('job_id', '=', jobId('train', d.runId))
          .execute();
        return;
      }
      case 'TrainingRunCompleted': {
        const d = dataOf(event, 'TrainingRunCompleted');
        return finish(trx, jobId('train', d.runId), 'succeeded', d.completedAt);
      }
      case 'TrainingRunFailed': {
        const d = dataOf(event, 'TrainingRunFailed');
        return finish(trx, jobId('train', d.runId), 'failed', d.failedAt, d.reason);
      }
      case 'TrainingRunCancelled': {
        const d = dataOf(event, 'TrainingRunCancelled');
        return finish(trx, jobId('train', d.runId), 'cancelled', d.cancelledAt, d.reason);
      }
      case 'EvaluationCompleted': {
        const d = dataOf(event, 'EvaluationCompleted');
        return finish(trx, jobId('evaluate', d.evaluationId), 'succeeded', d.completedAt);
      }
      case 'EvaluationFailed': {
        const d = dataOf(event, 'EvaluationFailed');
        return finish(trx, jobId('evaluate', d.evaluationId), 'failed', d.failedAt, d.reason);
      }
      case 'AugmentationCompleted': {
        const d = dataOf(event, 'AugmentationCompleted');
        return finish(trx, jobId('augment', d.augmentationId), 'succeeded', d.completedAt);
      }
      case 'AugmentationFailed': {
        const d = dataOf(event, 'AugmentationFailed');
        return finish(trx, jobId('augment', d.augmentationId), 'failed', d.failedAt, d.reason);
      }
      case 'RolledBack': {
        const d = dataOf(event, 'RolledBack');
        return finish(trx, jobId('rollback', d.rollbackId), 'succeeded', d.rolledBackAt);
      }
      case 'DeploymentActivated': {
        const d = dataOf(event, 'DeploymentActivated');
        // The deploy request answered by this activation: the open one on the same stream.
        await trx
          .updateTable('jobs')
          .set({ status: 'succeeded', finished_at: d.activatedAt, updated_at: d.activatedAt })
          .where('stream_id', '=', event.streamId)
          .where('kind', '=', 'deploy')
          .where('status', 'in', ['queued', 'running'])
          .execute();
        return;
      }
    }
  },
};

async function request(
  trx: ReadModelTransaction,
  event: RecordedEvent,
  id: string,
  kind: JobKind,
  at: string,
): Promise<void> {
  await trx
    .insertInto('jobs')
    .values({
      job_id: id,
      kind,
      stream_id: event.streamId,
      status: 'queued',
      attempts: 0,
      payload: json(event.data),
      correlation_id: event.metadata.correlationId,
      requested_at: at,
      updated_at: at,
    })
    .execute();
}

async function claim(
  trx: ReadModelTransaction,
  id: string,
  workerId: string,
  leaseUntil: string,
  attempt: number,
  at: string,
): Promise<void> {
  await trx
    .updateTable('jobs')
    .set({
      status: 'running',
      claimed_by: workerId,
      lease_until: leaseUntil,
      attempts: attempt,
      started_at: sql<string>`coalesce(started_at, ${at}::timestamptz)`,
      updated_at: at,
    })
    .where('job_id', '=', id)
    .execute();
}

async function finish(
  trx: ReadModelTransaction,
  id: string,
  status: JobStatus,
  at: string,
  error?: string,
): Promise<void> {
  await trx
    .updateTable('jobs')
    .set({
      status,
      lease_until: null,
      finished_at: at,
      updated_at: at,
      ...(error ? { last_error: error } : {}),
    })
    .where('job_id', '=', id)
    .execute();
}
