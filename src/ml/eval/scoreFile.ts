/** `tuneledger eval score FILE`: JSONL {prediction, references, lang?} -> per-record and overall EM/F1. */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { scoreAnswer, summariseQa, type QaScore, type QaSummary } from './qaMetrics.js';

export const scoreLineSchema = z.object({
  id: z.union([z.string(), z.number()]).optional(),
  prediction: z.string(),
  references: z.array(z.string()),
  lang: z.enum(['zh', 'en']).optional(),
});

export interface ScoredLine extends QaScore {
  readonly line: number;
  readonly id?: string | number;
}

export interface ScoreFileResult {
  readonly overall: QaSummary;
  readonly records: readonly ScoredLine[];
}

/** Parses and scores JSONL text; errors name the file and line and say what is expected. */
export function scoreJsonl(text: string, fileName = '<input>'): ScoreFileResult {
  const records: ScoredLine[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new Error(
        `${fileName}:${line}: not valid JSON (${(error as Error).message}); each line must be one JSON object`,
      );
    }
    const parsed = scoreLineSchema.safeParse(value);
    if (!parsed.success) {
      const problem = parsed.error.issues
        .map((issue) => `${issue.path.join('.') || '(line)'}: ${issue.message}`)
        .join('; ');
      throw new Error(
        `${fileName}:${line}: ${problem}; expected {"prediction": string, "references": string[], "lang"?: "zh"|"en"}`,
      );
    }
    const { id, prediction, references, lang } = parsed.data;
    records.push({ line, ...(id === undefined ? {} : { id }), ...scoreAnswer(prediction, references, lang) });
  });
  return { overall: summariseQa(records), records };
}

export async function scoreFile(path: string): Promise<ScoreFileResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
  return scoreJsonl(text, path);
}
