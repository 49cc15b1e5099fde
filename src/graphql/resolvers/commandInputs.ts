/**
 * The JSON inputs of mutations, checked against the schema of the event they become before anything reads
 * them, so a missing array or a field of the wrong type is BAD_USER_INPUT naming the field (`input.suites`)
 * instead of a TypeError deep in a service. Fields the server fills in (times, generated ids, facts it looks
 * up) are left out of what a client must send.
 */
import { z } from 'zod';
import {
  DatasetRevisionAdded,
  DegradationDetected,
  EvaluationCompleted,
  EvaluationRequested,
  InteractionRecorded,
  TrainingProgressReported,
  TrainingRunCompleted,
  baseModel,
  datasetFormat,
  feedbackLabel,
  id,
} from '../../domain/index.js';

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

export const evaluationRequestInput = EvaluationRequested.schema
  .omit({ evaluationId: true, requestedAt: true })
  .extend({ evaluationId: id.optional() });

export const interactionInput = InteractionRecorded.schema
  .omit({ interactionId: true, recordedAt: true })
  .extend({ interactionId: id.optional() });

export const labelInput = feedbackLabel;

/**
 * What the service reads of a training run request before the domain checks the whole of it: the base
 * model it looks for, the dataset revision it looks up, and the shapes it fills defaults into (a method
 * and stages, both optional). The rest is the domain's (its bounds, and TrainingRunRequested).
 */
export const trainingRunRequestOutline = z.looseObject({
  baseModel,
  dataset: z.object({ id: z.string().min(1), revision: z.number().int().positive() }),
  method: z.looseObject({ kind: z.string() }).optional(),
  stages: z.array(z.looseObject({})).optional(),
});

export const datasetFormatInput = datasetFormat;

/** addDatasetRevision's input: DatasetRevisionAdded less what the server fills in; a revision number to expect. */
export const datasetRevisionInput = DatasetRevisionAdded.schema
  .omit({ datasetId: true, revision: true, addedAt: true })
  .extend({ revision: z.int().positive().optional() });

/** reportProgress's input: TrainingProgressReported less the run, the attempt and the time. */
export const progressInput = TrainingProgressReported.schema.omit({
  runId: true,
  attempt: true,
  reportedAt: true,
});

/** completeJob's input: TrainingRunCompleted less the run and the time. */
export const runCompletionInput = TrainingRunCompleted.schema.omit({ runId: true, completedAt: true });

/** completeAugmentation's input: the new revision's fields (DatasetRevisionAdded) and the transform's parameters. */
export const augmentationCompletionInput = DatasetRevisionAdded.schema
  .omit({ datasetId: true, revision: true, addedAt: true, parentRevision: true, transform: true })
  .extend({ transformParams: z.record(z.string(), z.unknown()).optional() });

/** completeEvaluation's input: EvaluationCompleted less what the server knows; categories, taxonomy and artifacts optional. */
export const evaluationCompletionInput = EvaluationCompleted.schema
  .omit({ evaluationId: true, model: true, gate: true, completedAt: true })
  .partial({ categories: true, errorTaxonomy: true, artifacts: true });

/** detectDegradation's input: DegradationDetected less what the server computes, and an optional rollback policy. */
export const degradationInput = DegradationDetected.schema
  .omit({ deploymentName: true, model: true, changePct: true, detectedAt: true })
  .extend({ policy: z.object({ maxChangePct: z.number() }).optional() });
