/** The evaluation worker: evaluateModel (also `eval run`), the evaluate job handler, schedules and labels. */
export {
  evaluateModel,
  flatMetrics,
  parseNoiseTypes,
  EvaluationStoppedError,
  type EvaluateModelOptions,
  type EvaluationOutcome,
} from './evaluateModel.js';
export {
  evaluationExampleSchema,
  exampleFromDatasetRecord,
  parseEvaluationExamples,
  type EvaluationExample,
} from './evaluationExample.js';
export {
  evaluationJobHandler,
  type EvaluationJobServices,
  PREDICTIONS_MEDIA_TYPE,
  REPORT_MEDIA_TYPE,
  type EvaluationWorkerOptions,
} from './evaluationJob.js';
export {
  evaluationExamples,
  resolveModelVersion,
  PermanentEvaluationError,
  type ResolvedModel,
} from './evaluationSources.js';
export { EVALUATION_CONTROL, type EvaluationMessage, type EvaluationSpec } from './evaluationMessages.js';
export {
  BenchmarkSchedule,
  DEFAULT_BENCHMARK_CRON,
  type BenchmarkScheduleOptions,
  type BenchmarkTick,
} from './benchmarkSchedule.js';
export {
  evaluationSettingsFromEnv,
  type BenchmarkSettings,
  type EvaluationSettings,
} from './evaluationSettings.js';
