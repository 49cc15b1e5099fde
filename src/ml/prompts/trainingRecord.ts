import { z } from 'zod';

/**
 * One instruction-tuning example in the Alpaca shape used by LLaMA-Factory and most Chinese instruction
 * datasets: `history` holds earlier [user, assistant] turns of the same conversation.
 */
export const trainingRecordSchema = z.object({
  instruction: z.string(),
  input: z.string().optional(),
  output: z.string(),
  system: z.string().optional(),
  history: z.array(z.tuple([z.string(), z.string()])).optional(),
});

export type TrainingRecord = z.infer<typeof trainingRecordSchema>;

/** What a prompt is built from at inference time: a record without its answer. */
export type PromptRecord = Omit<TrainingRecord, 'output'>;

/** The user's message of a record: the instruction, then the input (if any) after a blank line. */
export function userMessage(record: PromptRecord): string {
  const input = record.input?.trim();
  return input ? `${record.instruction}\n\n${input}` : record.instruction;
}
