/** The predictions artifact: one JSONL row per record with what went in, what came out, and how it scored. */
import { writeFile } from 'node:fs/promises';
import { taxonomyKey, type EvaluationMetrics, type TaxonomyKey } from './evaluate.js';
import type { EvaluationRecord } from './evaluationRecord.js';

export interface PredictionRow {
  readonly id: string;
  readonly input: { readonly instruction: string; readonly input?: string };
  readonly reference: readonly string[];
  readonly output: string;
  readonly scores: {
    readonly exactMatch: number | null;
    readonly f1: number | null;
    readonly instructionFollowingStrict: boolean | null;
    readonly instructionFollowingLoose: boolean | null;
  };
  /** The error category, 'correct', or 'unscored' (no references and no constraints). */
  readonly category: TaxonomyKey;
  /** The record's own category (task type), when it had one. */
  readonly recordCategory?: string;
}

export function predictionRows(
  records: readonly EvaluationRecord[],
  metrics: EvaluationMetrics,
): PredictionRow[] {
  if (records.length !== metrics.records.length) {
    throw new Error(
      `predictions file: ${records.length} records but ${metrics.records.length} scores; pass the records that were evaluated`,
    );
  }
  return records.map((record, index) => {
    const score = metrics.records[index]!;
    const constrained = score.constraints.length > 0;
    return {
      id: record.id,
      input:
        record.input === undefined
          ? { instruction: record.instruction }
          : { instruction: record.instruction, input: record.input },
      reference: record.references,
      output: record.prediction,
      scores: {
        exactMatch: score.exactMatch,
        f1: score.f1,
        instructionFollowingStrict: constrained ? score.followedStrict : null,
        instructionFollowingLoose: constrained ? score.followedLoose : null,
      },
      category: taxonomyKey(score),
      ...(record.category === undefined ? {} : { recordCategory: record.category }),
    };
  });
}

export function predictionsJsonl(rows: readonly PredictionRow[]): string {
  return rows.map((row) => JSON.stringify(row)).join('\n') + (rows.length > 0 ? '\n' : '');
}

export async function writePredictionsFile(
  path: string,
  records: readonly EvaluationRecord[],
  metrics: EvaluationMetrics,
): Promise<number> {
  const rows = predictionRows(records, metrics);
  await writeFile(path, predictionsJsonl(rows), 'utf8');
  return rows.length;
}
