/**
 * One pass over stored predictions: exact match and F1, instruction following, error taxonomy,
 * and breakdowns per category. Synchronous and allocation-light: the evaluation worker runs it on
 * every evaluation, and the benchmark holds it to >= 20,000 records/s.
 */
import type { Constraint } from './constraints.js';
import { classifyError, ERROR_CATEGORIES, type ErrorCategory } from './errorTaxonomy.js';
import type { EvaluationRecord } from './evaluationRecord.js';
import {
  checkConstraints,
  summariseInstructionFollowing,
  type ConstraintResult,
  type InstructionFollowingSummary,
} from './instructionFollowing.js';
import { detectScriptLanguage, type Language } from './language.js';
import { scoreAnswer } from './qaMetrics.js';

export interface EvaluateOptions {
  /** Wrong answers with F1 at or above this are "partially correct" (default 0.5). */
  readonly partialF1Threshold?: number;
  /** Domain terms whose appearance in an output must be grounded in input or reference. */
  readonly lexicon?: readonly string[];
}

export interface RecordScore {
  readonly id: string;
  readonly lang: Language;
  /** null when the record has no references (a pure instruction-following prompt). */
  readonly exactMatch: number | null;
  readonly f1: number | null;
  readonly constraints: readonly ConstraintResult[];
  /** All constraints followed (true when there are none). */
  readonly followedStrict: boolean;
  readonly followedLoose: boolean;
  /** False when the record has neither references nor constraints: nothing to score it against. */
  readonly scored: boolean;
  readonly correct: boolean;
  /** Why the answer is wrong; null for a correct or unscored answer. */
  readonly errorCategory: ErrorCategory | null;
  readonly category?: string;
}

export interface CategoryMetrics {
  readonly count: number;
  readonly exactMatch: number;
  readonly f1: number;
  readonly instructionFollowingStrict: number;
  readonly correct: number;
}

export type TaxonomyKey = ErrorCategory | 'correct' | 'unscored';

export interface EvaluationMetrics {
  readonly count: number;
  /** Means over records that have references. */
  readonly exactMatch: number;
  readonly f1: number;
  readonly instructionFollowing: InstructionFollowingSummary;
  readonly perCategory: Record<string, CategoryMetrics>;
  /** Wrong answers per category, plus `correct` and `unscored` (no references, no constraints). */
  readonly errorTaxonomy: Record<TaxonomyKey, number>;
  readonly records: readonly RecordScore[];
}

function expectedLanguage(
  record: EvaluationRecord,
  constraints: readonly Constraint[],
  answerLang: Language,
): Language | undefined {
  for (const constraint of constraints)
    if (constraint.kind === 'response_language') return constraint.params.language;
  if (record.lang) return record.lang;
  if (record.references.some((reference) => reference.trim() !== '')) return answerLang;
  // Not inferred from the instruction: "translate into Chinese" is written in English.
  return undefined;
}

export function scoreRecord(record: EvaluationRecord, options: EvaluateOptions = {}): RecordScore {
  const constraints = record.constraints ?? [];
  const hasReferences = record.references.length > 0;
  const qa = hasReferences ? scoreAnswer(record.prediction, record.references, record.lang) : undefined;
  const lang = qa?.lang ?? record.lang ?? detectScriptLanguage(record.instruction) ?? 'en';
  const results = checkConstraints(record.prediction, constraints);
  const followedStrict = results.every((result) => result.strict);
  const followedLoose = results.every((result) => result.loose);
  // A record with neither references nor constraints cannot be judged right or wrong.
  const scored = qa !== undefined || results.length > 0;
  const correct = scored && (qa === undefined || qa.exactMatch === 1) && followedStrict;
  const errorCategory =
    correct || !scored
      ? null
      : classifyError({
          prediction: record.prediction,
          instruction: record.instruction,
          input: record.input,
          references: record.references,
          finishReason: record.finishReason,
          expectedLanguage: expectedLanguage(record, constraints, lang),
          f1: qa?.f1 ?? 0,
          constraintResults: results,
          lexicon: options.lexicon,
          partialF1Threshold: options.partialF1Threshold ?? 0.5,
        });
  return {
    id: record.id,
    lang,
    exactMatch: qa?.exactMatch ?? null,
    f1: qa?.f1 ?? null,
    constraints: results,
    followedStrict,
    followedLoose,
    scored,
    correct,
    errorCategory,
    ...(record.category === undefined ? {} : { category: record.category }),
  };
}

export function taxonomyKey(score: RecordScore): TaxonomyKey {
  return score.scored ? (score.errorCategory ?? 'correct') : 'unscored';
}

export function evaluatePredictions(
  records: readonly EvaluationRecord[],
  options: EvaluateOptions = {},
): EvaluationMetrics {
  const scores = records.map((record) => scoreRecord(record, options));
  let qaCount = 0;
  let em = 0;
  let f1 = 0;
  const taxonomy = Object.fromEntries(
    [...ERROR_CATEGORIES, 'correct', 'unscored'].map((name) => [name, 0]),
  ) as Record<TaxonomyKey, number>;
  const perCategoryRaw: Record<
    string,
    {
      count: number;
      qa: number;
      em: number;
      f1: number;
      ifPrompts: number;
      ifFollowed: number;
      correct: number;
    }
  > = {};
  for (const score of scores) {
    if (score.exactMatch !== null) {
      qaCount += 1;
      em += score.exactMatch;
      f1 += score.f1!;
    }
    taxonomy[taxonomyKey(score)] += 1;
    const key = score.category ?? 'uncategorised';
    const entry = (perCategoryRaw[key] ??= {
      count: 0,
      qa: 0,
      em: 0,
      f1: 0,
      ifPrompts: 0,
      ifFollowed: 0,
      correct: 0,
    });
    entry.count += 1;
    if (score.exactMatch !== null) {
      entry.qa += 1;
      entry.em += score.exactMatch;
      entry.f1 += score.f1!;
    }
    if (score.constraints.length > 0) {
      entry.ifPrompts += 1;
      if (score.followedStrict) entry.ifFollowed += 1;
    }
    if (score.correct) entry.correct += 1;
  }
  const share = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);
  const perCategory: Record<string, CategoryMetrics> = {};
  for (const [key, entry] of Object.entries(perCategoryRaw)) {
    perCategory[key] = {
      count: entry.count,
      exactMatch: share(entry.em, entry.qa),
      f1: share(entry.f1, entry.qa),
      instructionFollowingStrict: share(entry.ifFollowed, entry.ifPrompts),
      correct: share(entry.correct, entry.count),
    };
  }
  return {
    count: scores.length,
    exactMatch: share(em, qaCount),
    f1: share(f1, qaCount),
    instructionFollowing: summariseInstructionFollowing(scores.map((score) => score.constraints)),
    perCategory,
    errorTaxonomy: taxonomy,
    records: scores,
  };
}
