import type { Insertable, Updateable } from 'kysely';
import { assertNever } from '../domain/index.js';
import type { ProjectedEvent } from './lifecycleEvent.js';
import { defineProjection, json, type ReadModelTransaction } from './projection.js';
import type { RunCheckpointsTable, RunMetricsTable, RunsTable } from './schema.js';

/**
 * Training runs (including reward-model and policy runs) with their metric series and checkpoints.
 * Progress reports dominate the log, so a batch is first folded in memory - every change to a run
 * row is a plain column assignment, so later assignments simply win - and then written with one
 * multi-row statement per table plus one UPDATE per run touched.
 */
export const runsProjection = defineProjection({
  name: 'runs',
  // 2: run_metrics keeps reward_accuracy and reward_margin (rebuilt to fill them from the log).
  // 3: and PPO's rollout statistics (mean_reward, kl, ...).
  version: 3,
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
});

type RunEventType = (typeof runsProjection.handles)[number];

/** Rows per multi-row statement: PostgreSQL allows 65535 bind parameters per statement. */
const ROWS_PER_STATEMENT = 2000;

class RunWrites {
  readonly inserts = new Map<string, Insertable<RunsTable>>();
  readonly patches = new Map<string, Updateable<RunsTable>>();
  /** Keyed by run and step: a resumed attempt re-reports steps after its checkpoint; the later wins. */
  readonly metrics = new Map<string, Insertable<RunMetricsTable>>();
  readonly checkpoints = new Map<string, Insertable<RunCheckpointsTable>>();

  set(runId: string, patch: Updateable<RunsTable>): void {
    const inserted = this.inserts.get(runId);
    if (inserted) Object.assign(inserted, patch);
    else this.patches.set(runId, { ...this.patches.get(runId), ...patch });
  }

  async flush(trx: ReadModelTransaction): Promise<void> {
    const runs = [...this.inserts.values()];
    for (let i = 0; i < runs.length; i += ROWS_PER_STATEMENT) {
      await trx
        .insertInto('runs')
        .values(runs.slice(i, i + ROWS_PER_STATEMENT))
        .execute();
    }
    const metrics = [...this.metrics.values()];
    for (let i = 0; i < metrics.length; i += ROWS_PER_STATEMENT) {
      await trx
        .insertInto('run_metrics')
        .values(metrics.slice(i, i + ROWS_PER_STATEMENT))
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
            reward_accuracy: eb.ref('excluded.reward_accuracy'),
            reward_margin: eb.ref('excluded.reward_margin'),
            mean_reward: eb.ref('excluded.mean_reward'),
            kl: eb.ref('excluded.kl'),
            kl_coefficient: eb.ref('excluded.kl_coefficient'),
            entropy: eb.ref('excluded.entropy'),
            clip_fraction: eb.ref('excluded.clip_fraction'),
            value_loss: eb.ref('excluded.value_loss'),
            explained_variance: eb.ref('excluded.explained_variance'),
          })),
        )
        .execute();
    }
    const checkpoints = [...this.checkpoints.values()];
    for (let i = 0; i < checkpoints.length; i += ROWS_PER_STATEMENT) {
      await trx
        .insertInto('run_checkpoints')
        .values(checkpoints.slice(i, i + ROWS_PER_STATEMENT))
        .onConflict((oc) =>
          oc.columns(['run_id', 'step']).doUpdateSet((eb) => ({
            artifact_hash: eb.ref('excluded.artifact_hash'),
            byte_size: eb.ref('excluded.byte_size'),
            saved_at: eb.ref('excluded.saved_at'),
          })),
        )
        .execute();
    }
    for (const [runId, patch] of this.patches) {
      await trx.updateTable('runs').set(patch).where('run_id', '=', runId).execute();
    }
  }
}

async function applyRunEvents(
  trx: ReadModelTransaction,
  events: readonly ProjectedEvent<RunEventType>[],
): Promise<void> {
  const writes = new RunWrites();
  for (const event of events) foldRunEvent(writes, event);
  await writes.flush(trx);
}

function foldRunEvent(writes: RunWrites, event: ProjectedEvent<RunEventType>): void {
  switch (event.type) {
    case 'TrainingRunRequested': {
      const data = event.data;
      writes.inserts.set(data.runId, {
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
      });
      return;
    }
    case 'TrainingRunClaimed': {
      const data = event.data;
      writes.set(data.runId, {
        status: 'running',
        worker_id: data.workerId,
        backend: `${data.backend.name}${data.backend.device ? ` (${data.backend.device})` : ''}`,
        attempts: data.attempt,
        updated_at: data.claimedAt,
      });
      return;
    }
    case 'TrainingRunLeaseExpired': {
      const data = event.data;
      writes.set(data.runId, { status: 'requested', worker_id: null, updated_at: data.detectedAt });
      return;
    }
    case 'TrainingStageStarted': {
      const data = event.data;
      writes.set(data.runId, { current_stage: data.stageIndex, updated_at: data.startedAt });
      return;
    }
    case 'TrainingProgressReported': {
      const point = event.data;
      writes.metrics.set(`${point.runId}\u0000${point.step}`, {
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
        reward_accuracy: point.rewardAccuracy ?? null,
        reward_margin: point.rewardMargin ?? null,
        mean_reward: point.meanReward ?? null,
        kl: point.kl ?? null,
        kl_coefficient: point.klCoefficient ?? null,
        entropy: point.entropy ?? null,
        clip_fraction: point.clipFraction ?? null,
        value_loss: point.valueLoss ?? null,
        explained_variance: point.explainedVariance ?? null,
      });
      writes.set(point.runId, {
        status: 'running',
        last_step: point.step,
        total_steps: point.totalSteps,
        current_stage: point.stageIndex,
        last_loss: point.loss,
        updated_at: point.reportedAt,
      });
      return;
    }
    case 'CheckpointSaved': {
      const data = event.data;
      writes.checkpoints.set(`${data.runId}\u0000${data.step}`, {
        run_id: data.runId,
        step: data.step,
        artifact_hash: data.artifactHash,
        byte_size: data.byteSize,
        saved_at: data.savedAt,
      });
      writes.set(data.runId, {
        last_checkpoint_hash: data.artifactHash,
        last_checkpoint_step: data.step,
        updated_at: data.savedAt,
      });
      return;
    }
    case 'TrainingRunCompleted': {
      const data = event.data;
      writes.set(data.runId, {
        status: 'completed',
        result_artifact_hash: data.artifact.hash,
        final_loss: data.finalLoss,
        last_step: data.steps,
        duration_ms: data.durationMs,
        tokens_seen: data.tokensSeen,
        updated_at: data.completedAt,
        finished_at: data.completedAt,
      });
      return;
    }
    case 'TrainingRunFailed': {
      const data = event.data;
      writes.set(data.runId, {
        status: 'failed',
        failure_reason: data.reason,
        updated_at: data.failedAt,
        finished_at: data.failedAt,
      });
      return;
    }
    case 'TrainingRunCancelled': {
      const data = event.data;
      writes.set(data.runId, {
        status: 'cancelled',
        failure_reason: data.reason,
        updated_at: data.cancelledAt,
        finished_at: data.cancelledAt,
      });
      return;
    }
    default:
      assertNever(event);
  }
}
