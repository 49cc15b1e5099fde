import type { RecordedEvent } from '../eventstore/eventStore.js';
import { dataOf, type DataOf } from './lifecycleEvent.js';
import { json, type Projection, type ReadModelTransaction } from './projection.js';

type Progress = DataOf<'TrainingProgressReported'>;

/**
 * Training runs (including reward-model and policy runs) with their metric series and checkpoints.
 * Progress reports dominate the log, so a batch writes its metric points in one multi-row upsert per
 * run and the run's "latest" columns once.
 */
export const runsProjection: Projection = {
  name: 'runs',
  version: 1,
  handles: [
    'TrainingRunRequested',
    'TrainingRunClaimed',
    'TrainingRunLeaseExpired',
    'TrainingStageStarted',
    'TrainingProgressReported',
    'CheckpointSaved',
    'TrainingRunCompleted',
    'TrainingRunFailed',
    'TrainingRunCancelled',
  ],
  tables: ['runs', 'run_metrics', 'run_checkpoints'],
  async apply(trx, event) {
    await applyRunEvents(trx, [event]);
  },
  async applyBatch(trx, events) {
    await applyRunEvents(trx, events);
  },
};

async function applyRunEvents(trx: ReadModelTransaction, events: readonly RecordedEvent[]): Promise<void> {
  let progress: Progress[] = [];
  for (const event of events) {
    if (event.type === 'TrainingProgressReported') {
      progress.push(dataOf(event, 'TrainingProgressReported'));
      continue;
    }
    if (progress.length > 0) {
      await writeProgress(trx, progress);
      progress = [];
    }
    await applyRunEvent(trx, event);
  }
  if (progress.length > 0) await writeProgress(trx, progress);
}

/** Chunk size of multi-row inserts: PostgreSQL allows 65535 bind parameters per statement. */
const ROWS_PER_INSERT = 2000;

async function writeProgress(trx: ReadModelTransaction, points: readonly Progress[]): Promise<void> {
  // A resumed attempt re-reports steps after its checkpoint: the later report wins.
  const byKey = new Map<string, Progress>();
  for (const point of points) byKey.set(`${point.runId}\u0000${point.step}`, point);
  const rows = [...byKey.values()].map((point) => ({
    run_id: point.runId,
    step: point.step,
    stage_index: point.stageIndex,
    epoch: point.epoch,
    loss: point.loss,
    entity_loss: point.entityLoss ?? null,
    learning_rate: point.learningRate,
    grad_norm: point.gradNorm,
    tokens_per_second: point.tokensPerSecond,
    elapsed_ms: point.elapsedMs,
    recorded_at: point.reportedAt,
  }));
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    await trx
      .insertInto('run_metrics')
      .values(rows.slice(start, start + ROWS_PER_INSERT))
      .onConflict((oc) =>
        oc.columns(['run_id', 'step']).doUpdateSet((eb) => ({
          stage_index: eb.ref('excluded.stage_index'),
          epoch: eb.ref('excluded.epoch'),
          loss: eb.ref('excluded.loss'),
          entity_loss: eb.ref('excluded.entity_loss'),
          learning_rate: eb.ref('excluded.learning_rate'),
          grad_norm: eb.ref('excluded.grad_norm'),
          tokens_per_second: eb.ref('excluded.tokens_per_second'),
          elapsed_ms: eb.ref('excluded.elapsed_ms'),
          recorded_at: eb.ref('excluded.recorded_at'),
        })),
      )
      .execute();
  }
  // The run row shows the last report of each run in this slice of the log.
  const latest = new Map<string, Progress>();
  for (const point of points) latest.set(point.runId, point);
  for (const point of latest.values()) {
    await trx
      .updateTable('runs')
      .set({
        status: 'running',
        last_step: point.step,
        total_steps: point.totalSteps,
        current_stage: point.stageIndex,
        last_loss: point.loss,
        updated_at: point.reportedAt,
      })
      .where('run_id', '=', point.runId)
      .execute();
  }
}

async function applyRunEvent(trx: ReadModelTransaction, event: RecordedEvent): Promise<void> {
  switch (event.type) {
    case 'TrainingRunRequested': {
      const data = dataOf(event, 'TrainingRunRequested');
      await trx
        .insertInto('runs')
        .values({
          run_id: data.runId,
          kind: data.method.kind,
          status: 'requested',
          base_model: data.baseModel.name,
          dataset_id: data.dataset.id,
          dataset_revision: data.dataset.revision,
          method: json(data.method),
          stages: json(data.stages),
          loss_kind: data.loss.kind,
          seed: data.seed,
          max_steps: data.maxSteps ?? null,
          attempts: 0,
          correlation_id: event.metadata.correlationId,
          requested_at: data.requestedAt,
          updated_at: data.requestedAt,
        })
        .execute();
      return;
    }
    case 'TrainingRunClaimed': {
      const data = dataOf(event, 'TrainingRunClaimed');
      await trx
        .updateTable('runs')
        .set({
          status: 'running',
          worker_id: data.workerId,
          backend: `${data.backend.name}${data.backend.device ? ` (${data.backend.device})` : ''}`,
          attempts: data.attempt,
          updated_at: data.claimedAt,
        })
        .where('run_id', '=', data.runId)
        .execute();
      return;
    }
    case 'TrainingRunLeaseExpired': {
      const data = dataOf(event, 'TrainingRunLeaseExpired');
      await trx
        .updateTable('runs')
        .set({ status: 'requested', worker_id: null, updated_at: data.detectedAt })
        .where('run_id', '=', data.runId)
        .execute();
      return;
    }
    case 'TrainingStageStarted': {
      const data = dataOf(event, 'TrainingStageStarted');
      await trx
        .updateTable('runs')
        .set({ current_stage: data.stageIndex, updated_at: data.startedAt })
        .where('run_id', '=', data.runId)
        .execute();
      return;
    }
    case 'CheckpointSaved': {
      const data = dataOf(event, 'CheckpointSaved');
      await trx
        .insertInto('run_checkpoints')
        .values({
          run_id: data.runId,
          step: data.step,
          artifact_hash: data.artifactHash,
          byte_size: data.byteSize,
          saved_at: data.savedAt,
        })
        .onConflict((oc) =>
          oc.columns(['run_id', 'step']).doUpdateSet({
            artifact_hash: data.artifactHash,
            byte_size: data.byteSize,
            saved_at: data.savedAt,
          }),
        )
        .execute();
      await trx
        .updateTable('runs')
        .set({
          last_checkpoint_hash: data.artifactHash,
          last_checkpoint_step: data.step,
          updated_at: data.savedAt,
        })
        .where('run_id', '=', data.runId)
        .execute();
      return;
    }
    case 'TrainingRunCompleted': {
      const data = dataOf(event, 'TrainingRunCompleted');
      await trx
        .updateTable('runs')
        .set({
          status: 'completed',
          result_artifact_hash: data.artifact.hash,
          final_loss: data.finalLoss,
          last_step: data.steps,
          duration_ms: data.durationMs,
          tokens_seen: data.tokensSeen,
          updated_at: data.completedAt,
          finished_at: data.completedAt,
        })
        .where('run_id', '=', data.runId)
        .execute();
      return;
    }
    case 'TrainingRunFailed': {
      const data = dataOf(event, 'TrainingRunFailed');
      await trx
        .updateTable('runs')
        .set({
          status: 'failed',
          failure_reason: data.reason,
          updated_at: data.failedAt,
          finished_at: data.failedAt,
        })
        .where('run_id', '=', data.runId)
        .execute();
      return;
    }
    case 'TrainingRunCancelled': {
      const data = dataOf(event, 'TrainingRunCancelled');
      await trx
        .updateTable('runs')
        .set({
          status: 'cancelled',
          failure_reason: data.reason,
          updated_at: data.cancelledAt,
          finished_at: data.cancelledAt,
        })
        .where('run_id', '=', data.runId)
        .execute();
      return;
    }
  }
}
