import { z } from 'zod';
import { type DatasetRecord } from '../../data/index.js';
import { constraintSchema } from '../../ml/eval/index.js';

/**
 * One question of an evaluation before the model answers it: the prompt parts, the reference answers and
 * the verifiable constraints. Dataset records become examples through `exampleFromDatasetRecord`; the
 * `eval run` command also reads them as JSONL lines of this shape.
 */
export const evaluationExampleSchema = z.object({
  id: z.string().min(1),
  instruction: z.string(),
  input: z.string().optional(),
  system: z.string().optional(),
  history: z.array(z.tuple([z.string(), z.string()])).optional(),
  references: z.array(z.string()).default([]),
  constraints: z.array(constraintSchema).optional(),
  category: z.string().optional(),
  lang: z.enum(['zh', 'en']).optional(),
});
export type EvaluationExample = z.infer<typeof evaluationExampleSchema>;

/**
 * A canonical dataset record as an evaluation example: the last user turn is the instruction, the final
 * assistant answer (or the chosen answer) the reference, earlier turns the history. The category is the
 * augmentation template, else the first entity category, so per-category metrics follow the data set's
 * own structure. Undefined when the record asks nothing.
 */
export function exampleFromDatasetRecord(
  record: DatasetRecord,
  index: number,
): EvaluationExample | undefined {
  const messages = [...record.messages];
  const system = messages[0]?.role === 'system' ? messages.shift()!.content : undefined;
  let reference: string | undefined = record.chosen;
  if (reference === undefined && messages.at(-1)?.role === 'assistant') reference = messages.pop()!.content;
  const user = messages.pop();
  if (user?.role !== 'user') return undefined;
  const history: Array<[string, string]> = [];
  for (let i = 0; i + 1 < messages.length; i += 2) {
    const [u, a] = [messages[i]!, messages[i + 1]!];
    if (u.role === 'user' && a.role === 'assistant') history.push([u.content, a.content]);
  }
  const category = record.provenance?.templateId ?? record.entities?.[0]?.category;
  return {
    id: `r${index + 1}`,
    instruction: user.content,
    ...(system !== undefined ? { system } : {}),
    ...(history.length > 0 ? { history } : {}),
    references: reference === undefined ? [] : [reference],
    ...(category !== undefined ? { category } : {}),
  };
}

/**
 * Reads `eval run` input: JSONL lines that are evaluation examples ({id?, instruction, references, ...})
 * or canonical dataset records ({messages: [...]}). Errors name the file and line.
 */
export function parseEvaluationExamples(text: string, source: string): EvaluationExample[] {
  const examples: EvaluationExample[] = [];
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const where = `${source}:${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new Error(`${where}: not JSON (${(error as Error).message}); each line must be one JSON object`);
    }
    if (value && typeof value === 'object' && Array.isArray((value as { messages?: unknown }).messages)) {
      const example = exampleFromDatasetRecord(value as DatasetRecord, index);
      if (!example) throw new Error(`${where}: the record has no user turn to ask; add a user message`);
      examples.push(example);
      continue;
    }
    const parsed = evaluationExampleSchema.safeParse({
      id: `r${index + 1}`,
      ...(value as object),
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(
        `${where}: ${issue.path.join('.') || '(line)'} ${issue.message}; expected {"instruction", "references": [...], "constraints"?, "id"?} or {"messages": [...]}`,
      );
    }
    examples.push(parsed.data);
  }
  if (examples.length === 0) throw new Error(`${source}: no examples; the file is empty`);
  return examples;
}
