/** `tuneledger eval score FILE`: JSONL {prediction, references, lang?} -> per-record and overall EM/F1. */
import { z } from 'zod';
import { scoreAnswer, summariseQa, type QaScore, type QaSummary } from './qaMetrics.js';
import { parseJsonlWith, readTextFile } from './recordsFile.js';
import { evaluationRecordSchema, type EvaluationRecord } from './evaluationRecord.js';

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

const SCORE_LINE_SHAPE = '{"prediction": string, "references": string[], "lang"?: "zh"|"en"}';

export function scoreJsonl(text: string, fileName = '<input>'): ScoreFileResult {
  const records: ScoredLine[] = parseJsonlWith(text, scoreLineSchema, fileName, SCORE_LINE_SHAPE).map(
    ({ line, value: { id, prediction, references, lang } }) => ({
      line,
      ...(id === undefined ? {} : { id }),
      ...scoreAnswer(prediction, references, lang),
    }),
  );
  return { overall: summariseQa(records), records };
}

export async function scoreFile(path: string): Promise<ScoreFileResult> {
  return scoreJsonl(await readTextFile(path), path);
}

const RECORD_SHAPE =
  '{"id": string, "instruction": string, "input"?: string, "references": string[], "prediction": string, "constraints"?: [{kind, params}], "category"?: string, "lang"?: "zh"|"en", "finishReason"?: string}';

export function parseEvaluationRecords(text: string, fileName = '<input>'): EvaluationRecord[] {
  return parseJsonlWith(text, evaluationRecordSchema, fileName, RECORD_SHAPE).map(({ value }) => value);
}

export async function readEvaluationRecords(path: string): Promise<EvaluationRecord[]> {
  return parseEvaluationRecords(await readTextFile(path), path);
}
