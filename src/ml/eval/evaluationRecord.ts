/** The shape of one stored prediction to evaluate (a JSONL line of a predictions set). */
import { z } from 'zod';
import { constraintSchema } from './constraints.js';

export const evaluationRecordSchema = z.object({
  id: z.string().min(1),
  instruction: z.string(),
  input: z.string().optional(),
  references: z.array(z.string()),
  prediction: z.string(),
  constraints: z.array(constraintSchema).optional(),
  category: z.string().optional(),
  lang: z.enum(['zh', 'en']).optional(),
  /** The generator's finish reason; 'length' means it hit the token limit. */
  finishReason: z.string().optional(),
});

export type EvaluationRecord = z.infer<typeof evaluationRecordSchema>;
export type EvaluationRecordInput = z.input<typeof evaluationRecordSchema>;
