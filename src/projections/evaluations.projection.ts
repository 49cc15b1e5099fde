import { dataOf } from './lifecycleEvent.js';
import { json, type Projection } from './projection.js';

/** Evaluations with their metrics, per-category breakdown, error taxonomy and gate verdict. */
export const evaluationsProjection: Projection = {
  name: 'evaluations',
  version: 1,
  handles: [
    'EvaluationRequested',
    'EvaluationClaimed',
    'EvaluationProgressReported',
    'EvaluationCompleted',
    'EvaluationFailed',
  ],
  tables: ['evaluations'],
  async apply(trx, event) {
    switch (event.type) {
      case 'EvaluationRequested': {
        const data = dataOf(event, 'EvaluationRequested');
        await trx
          .insertInto('evaluations')
          .values({
            evaluation_id: data.evaluationId,
            status: 'requested',
            model_name: data.model.name,
            model_version: data.model.version,
            dataset_id: data.dataset.id,
            dataset_revision: data.dataset.revision,
            suites: json(data.suites),
            judge: data.judge ? json(data.judge) : null,
            gate: json(data.gate),
            attempts: 0,
            requested_at: data.requestedAt,
          })
          .execute();
        return;
      }
      case 'EvaluationClaimed': {
        const data = dataOf(event, 'EvaluationClaimed');
        await trx
          .updateTable('evaluations')
          .set({ worker_id: data.workerId, attempts: data.attempt })
          .where('evaluation_id', '=', data.evaluationId)
          .execute();
        return;
      }
      case 'EvaluationProgressReported': {
        const data = dataOf(event, 'EvaluationProgressReported');
        await trx
          .updateTable('evaluations')
          .set({ completed_examples: data.completedExamples, total_examples: data.totalExamples })
          .where('evaluation_id', '=', data.evaluationId)
          .execute();
        return;
      }
      case 'EvaluationCompleted': {
        const data = dataOf(event, 'EvaluationCompleted');
        await trx
          .updateTable('evaluations')
          .set({
            status: 'completed',
            metrics: json(data.metrics),
            categories: json(data.categories),
            error_taxonomy: json(data.errorTaxonomy),
            artifacts: json(data.artifacts),
            gate_passed: data.gate.passed,
            gate_failures: json(data.gate.failures),
            finished_at: data.completedAt,
          })
          .where('evaluation_id', '=', data.evaluationId)
          .execute();
        return;
      }
      case 'EvaluationFailed': {
        const data = dataOf(event, 'EvaluationFailed');
        await trx
          .updateTable('evaluations')
          .set({ status: 'failed', failure_reason: data.reason, finished_at: data.failedAt })
          .where('evaluation_id', '=', data.evaluationId)
          .execute();
        return;
      }
    }
  },
};
