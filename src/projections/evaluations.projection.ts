import { assertNever } from '../domain/index.js';
import type { ProjectedEvent } from './lifecycleEvent.js';
import { defineProjection, type ReadModelTransaction } from './projection.js';
import { RowBatch } from './rowBatch.js';

const JSON_COLUMNS = [
  'suites',
  'judge',
  'gate',
  'metrics',
  'categories',
  'error_taxonomy',
  'artifacts',
  'gate_failures',
];

/** Evaluations with their metrics, per-category breakdown, error taxonomy and gate verdict. */
const evaluationEventTypes = [
  'EvaluationRequested',
  'EvaluationClaimed',
  'EvaluationProgressReported',
  'EvaluationCompleted',
  'EvaluationFailed',
] as const;
type EvaluationEventType = (typeof evaluationEventTypes)[number];

export const evaluationsProjection = defineProjection({
  name: 'evaluations',
  version: 1,
  handles: evaluationEventTypes,
  tables: ['evaluations'],
  async apply(trx, event) {
    await applyEvaluations(trx, [event]);
  },
  async applyBatch(trx, events) {
    await applyEvaluations(trx, events);
  },
});

async function applyEvaluations(
  trx: ReadModelTransaction,
  events: readonly ProjectedEvent<EvaluationEventType>[],
): Promise<void> {
  const rows = new RowBatch('evaluations', 'evaluation_id', JSON_COLUMNS);
  await rows.load(
    trx,
    events.map((e) => e.data.evaluationId),
  );
  for (const event of events) {
    switch (event.type) {
      case 'EvaluationRequested': {
        const d = event.data;
        rows.insert({
          evaluation_id: d.evaluationId,
          status: 'requested',
          model_name: d.model.name,
          model_version: d.model.version,
          dataset_id: d.dataset.id,
          dataset_revision: d.dataset.revision,
          suites: d.suites,
          judge: d.judge ?? null,
          gate: d.gate,
          worker_id: null,
          attempts: 0,
          completed_examples: null,
          total_examples: null,
          metrics: null,
          categories: null,
          error_taxonomy: null,
          artifacts: null,
          gate_passed: null,
          gate_failures: null,
          failure_reason: null,
          requested_at: d.requestedAt,
          finished_at: null,
        });
        break;
      }
      case 'EvaluationClaimed': {
        const d = event.data;
        rows.update(d.evaluationId, { worker_id: d.workerId, attempts: d.attempt });
        break;
      }
      case 'EvaluationProgressReported': {
        const d = event.data;
        rows.update(d.evaluationId, {
          completed_examples: d.completedExamples,
          total_examples: d.totalExamples,
        });
        break;
      }
      case 'EvaluationCompleted': {
        const d = event.data;
        rows.update(d.evaluationId, {
          status: 'completed',
          metrics: d.metrics,
          categories: d.categories,
          error_taxonomy: d.errorTaxonomy,
          artifacts: d.artifacts,
          gate_passed: d.gate.passed,
          gate_failures: d.gate.failures,
          finished_at: d.completedAt,
        });
        break;
      }
      case 'EvaluationFailed': {
        const d = event.data;
        rows.update(d.evaluationId, { status: 'failed', failure_reason: d.reason, finished_at: d.failedAt });
        break;
      }
      default:
        assertNever(event);
    }
  }
  await rows.flush(trx);
}
