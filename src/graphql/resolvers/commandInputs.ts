/**
 * The inputs of mutations: each a zod schema cut from the event it becomes (fields the server fills in, such
 * as times, generated ids and facts it looks up, left out), and the GraphQL input type generated from it
 * (zodInputType), so the contract and the validation have one source. GraphQL checks the shape; the resolver
 * parses the argument with the same schema (`parseInput`), so a bound or a per-kind field is BAD_USER_INPUT
 * naming the path (`input.suites`) instead of a TypeError deep in a service.
 */
import { z } from 'zod';
import {
  DatasetRevisionAdded,
  candidate,
  datasetRef,
  feedbackSignal,
  fullParameters,
  loraParameters,
  modelRef,
  trainingLoss,
  trainingMethod,
  trainingStage,
  evaluationSuite,
  artifactRef,
  gateThreshold,
  TrainingRunRequested,
  DegradationDetected,
  EvaluationCompleted,
  EvaluationRequested,
  InteractionRecorded,
  TrainingProgressReported,
  TrainingRunCompleted,
  baseModel,
  id,
} from '../../domain/index.js';
import { inputValue, zodInputType } from '../types/zodInputType.js';

/** `schema.parse(value)`, with every issue's path starting at the argument's name. */
export function parseArgument<Schema extends z.ZodType>(
  argument: string,
  schema: Schema,
  value: unknown,
): z.infer<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new z.ZodError(parsed.error.issues.map((issue) => ({ ...issue, path: [argument, ...issue.path] })));
}

/** A generated input type's argument (`zodInputType`), parsed with the schema it was generated from. */
export const parseInput = <Schema extends z.ZodType>(argument: string, schema: Schema, value: unknown) =>
  parseArgument(argument, schema, inputValue(value));

/** The sub-schemas several inputs share, each one input type under one name. */
const named = new Map<z.ZodType, string>([
  [modelRef, 'ModelRefInput'],
  [datasetRef, 'DatasetRefInput'],
  [baseModel, 'BaseModelInput'],
  [trainingStage, 'TrainingStageInput'],
  [trainingLoss, 'TrainingLossInput'],
  [artifactRef, 'ArtifactRefInput'],
  [gateThreshold, 'GateThresholdInput'],
  [evaluationSuite, 'EvaluationSuite'],
  [DatasetRevisionAdded.schema.shape.splits, 'DatasetSplitsInput'],
  [DatasetRevisionAdded.schema.shape.splits.shape.train, 'DatasetSplitInput'],
  [TrainingRunRequested.schema.shape.promptFormat, 'PromptFormat'],
  [feedbackSignal.shape.thumbs, 'Thumbs'],
  [DatasetRevisionAdded.schema.shape.piiReport, 'PiiReportInput'],
  [DatasetRevisionAdded.schema.shape.qualityReport, 'QualityReportInput'],
]);

/** LoRA settings as a request may give them: any of r, alpha, dropout and targetModules left out (the guide's). */
const loraRequest = loraParameters.partial({ r: true, alpha: true, dropout: true, targetModules: true });
const trainedParametersRequest = z.discriminatedUnion('kind', [loraRequest, fullParameters]);

/** A training method as a request may give it: LoRA settings partial wherever they appear. */
const trainingMethodRequest = z.discriminatedUnion(
  'kind',
  trainingMethod.options.map((option) => {
    if (option === loraParameters) return loraRequest;
    if ('parameters' in option.shape)
      return option.extend({ parameters: trainedParametersRequest.optional() });
    return option;
  }) as unknown as typeof trainingMethod.options,
);

/**
 * requestTrainingRun's input: TrainingRunRequested less what the server fills in (the run id unless given,
 * the dataset's content hash, the time); method, stages, loss and seed default to the founding guide's. The
 * domain checks the bounds (README's Limits).
 */
export const trainingRunRequestInput = TrainingRunRequested.schema
  .omit({ runId: true, requestedAt: true, dataset: true, method: true, stages: true, loss: true, seed: true })
  .extend({
    runId: id.optional(),
    dataset: datasetRef,
    method: trainingMethodRequest.optional(),
    stages: z.array(trainingStage).min(1).optional(),
    loss: trainingLoss.optional(),
    seed: z.int().optional(),
  });
export const TrainingRunRequestInput = zodInputType('TrainingRunRequestInput', trainingRunRequestInput, {
  named: new Map([
    ...named,
    [trainingMethodRequest, 'TrainingMethodInput'],
    [trainedParametersRequest, 'TrainedParametersInput'],
  ]),
  description:
    "A training run request (TrainingRunRequested of EVENTS.md); method is one input with a kind and each kind's fields.",
});

export const evaluationRequestInput = EvaluationRequested.schema
  .omit({ evaluationId: true, requestedAt: true })
  .extend({ evaluationId: id.optional() });
export const EvaluationRequestInput = zodInputType('EvaluationRequestInput', evaluationRequestInput, {
  named,
  description: 'An evaluation request (EvaluationRequested of EVENTS.md).',
});

export const interactionInput = InteractionRecorded.schema
  .omit({ interactionId: true, recordedAt: true })
  .extend({ interactionId: id.optional() });
export const InteractionInput = zodInputType('InteractionInput', interactionInput, {
  named,
  description: 'An interaction served elsewhere (InteractionRecorded of EVENTS.md).',
});

/** labelFeedback's label: the one vocabulary of REST's POST /v1/feedback (domain: feedbackSignal). */
export const labelInput = feedbackSignal;
export const FeedbackLabelInput = zodInputType('FeedbackLabelInput', labelInput, {
  named,
  description:
    "Exactly one of thumbs (UP or DOWN), rating (1 to 5), correction (a better answer) and errorCategory, as REST's POST /v1/feedback takes them.",
});

/** generateCandidates' candidates: a candidate of CandidatesGenerated, its id generated when absent. */
export const candidateInput = candidate.extend({ candidateId: id.optional() });
export const CandidateInput = zodInputType('CandidateInput', candidateInput, {
  named,
  description: 'A candidate answer to a preference prompt.',
});

/** addDatasetRevision's input: DatasetRevisionAdded less what the server fills in; a revision number to expect. */
export const datasetRevisionInput = DatasetRevisionAdded.schema
  .omit({ datasetId: true, revision: true, addedAt: true })
  .extend({ revision: z.int().positive().optional() });
export const DatasetRevisionInput = zodInputType('DatasetRevisionInput', datasetRevisionInput, {
  named,
  description: 'A dataset revision (DatasetRevisionAdded of EVENTS.md).',
});

/** reportProgress's input: TrainingProgressReported less the run, the attempt and the time. */
export const progressInput = TrainingProgressReported.schema.omit({
  runId: true,
  attempt: true,
  reportedAt: true,
});
export const ProgressInput = zodInputType('ProgressInput', progressInput, {
  named,
  description: "A training run's progress (TrainingProgressReported of EVENTS.md).",
});

/** completeJob's input: TrainingRunCompleted less the run and the time. */
export const runCompletionInput = TrainingRunCompleted.schema.omit({ runId: true, completedAt: true });
export const RunCompletionInput = zodInputType('RunCompletionInput', runCompletionInput, {
  named,
  description: 'A finished training run (TrainingRunCompleted of EVENTS.md).',
});

/** completeAugmentation's input: the new revision's fields (DatasetRevisionAdded) and the transform's parameters. */
export const augmentationCompletionInput = DatasetRevisionAdded.schema
  .omit({ datasetId: true, revision: true, addedAt: true, parentRevision: true, transform: true })
  .extend({ transformParams: z.record(z.string(), z.unknown()).optional() });
export const AugmentationCompletionInput = zodInputType(
  'AugmentationCompletionInput',
  augmentationCompletionInput,
  {
    named,
    description:
      "An augmentation's new revision (DatasetRevisionAdded of EVENTS.md) and its transform's parameters.",
  },
);

/** completeEvaluation's input: EvaluationCompleted less what the server knows; categories, taxonomy and artifacts optional. */
export const evaluationCompletionInput = EvaluationCompleted.schema
  .omit({ evaluationId: true, model: true, gate: true, completedAt: true })
  .partial({ categories: true, errorTaxonomy: true, artifacts: true });
export const EvaluationCompletionInput = zodInputType(
  'EvaluationCompletionInput',
  evaluationCompletionInput,
  {
    named,
    description: "An evaluation's results (EvaluationCompleted of EVENTS.md); the server applies the gate.",
  },
);

/** detectDegradation's input: DegradationDetected less what the server computes, and an optional rollback policy. */
export const degradationInput = DegradationDetected.schema
  .omit({ deploymentName: true, model: true, changePct: true, detectedAt: true })
  .extend({ policy: z.object({ maxChangePct: z.number() }).optional() });
export const DegradationInput = zodInputType('DegradationInput', degradationInput, {
  named,
  description: 'A degradation a monitor saw (DegradationDetected of EVENTS.md), and a policy to roll back.',
});
