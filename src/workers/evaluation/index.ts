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
