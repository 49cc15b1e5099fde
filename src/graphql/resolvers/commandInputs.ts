/**
 * The JSON inputs of mutations, checked against the schema of the event they become before anything reads
 * them, so a missing array or a field of the wrong type is BAD_USER_INPUT naming the field (`input.suites`)
 * instead of a TypeError deep in a service. Fields the server fills in (times, generated ids, facts it looks
 * up) are left out of what a client must send.
 */
import { z } from 'zod';
import {
  EvaluationRequested,
  InteractionRecorded,
  baseModel,
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
