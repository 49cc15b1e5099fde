/**
 * Exact match and F1 for one prediction against several references, choosing SQuAD v2.0 rules
 * for English and CMRC 2018 rules for Chinese. Scores are fractions in [0, 1]; the official
 * scripts print the same numbers multiplied by 100.
 */
import { cmrcRemovePunctuation, cmrcSegments, longestCommonSubstringLength } from './cmrc.js';
import { containsHan, type Language } from './language.js';
import { bagF1, normalizeSquadAnswer } from './squad.js';

export interface QaScore {
  readonly exactMatch: number;
  readonly f1: number;
  readonly lang: Language;
}

/** References decide (they are the dataset's language); the prediction only when all are empty. */
export function detectAnswerLanguage(references: readonly string[], prediction: string): Language {
  if (references.some(containsHan)) return 'zh';
  if (references.some((reference) => reference.trim() !== '')) return 'en';
  return containsHan(prediction) ? 'zh' : 'en';
}

/**
 * SQuAD 2.0's empty-answer rule for both languages: references that normalise to nothing are
 * dropped; if none is left the question is unanswerable and only an empty prediction scores 1.
 * The prediction is normalised and segmented once, not once per reference.
 */
export function scoreAnswer(prediction: string, references: readonly string[], lang?: Language): QaScore {
  const language = lang ?? detectAnswerLanguage(references, prediction);
  return language === 'zh' ? scoreChinese(prediction, references) : scoreEnglish(prediction, references);
}

function scoreEnglish(prediction: string, references: readonly string[]): QaScore {
  const predicted = normalizeSquadAnswer(prediction);
  const predictedTokens = predicted === '' ? [] : predicted.split(' ');
  let bestExact = 0;
  let bestF1 = 0;
  let golds = 0;
  for (const reference of references) {
    const gold = normalizeSquadAnswer(reference);
    if (gold === '') continue;
    golds += 1;
    if (gold === predicted) return { exactMatch: 1, f1: 1, lang: 'en' };
    bestF1 = Math.max(bestF1, bagF1(gold.split(' '), predictedTokens));
  }
  if (golds === 0) bestExact = bestF1 = predicted === '' ? 1 : 0;
  return { exactMatch: bestExact, f1: bestF1, lang: 'en' };
}

function scoreChinese(prediction: string, references: readonly string[]): QaScore {
  const predicted = cmrcRemovePunctuation(prediction);
  let predictedSegments: string[] | undefined;
  let bestExact = 0;
  let bestF1 = 0;
  let golds = 0;
  for (const reference of references) {
    const gold = cmrcRemovePunctuation(reference);
    if (gold === '') continue;
    golds += 1;
    predictedSegments ??= cmrcSegments(prediction, true);
    if (gold === predicted) {
      bestExact = 1;
      // Segmentation depends only on the punctuation-stripped text, so equal texts score F1 1 too, unless
      // nothing but spaces is left: no segment, and the official script's F1 is then 0.
      if (predictedSegments.length > 0) return { exactMatch: 1, f1: 1, lang: 'zh' };
      continue;
    }
    const goldSegments = cmrcSegments(reference, true);
    const common = longestCommonSubstringLength(goldSegments, predictedSegments);
    if (common > 0) {
      const precision = common / predictedSegments.length;
      const recall = common / goldSegments.length;
      bestF1 = Math.max(bestF1, (2 * precision * recall) / (precision + recall));
    }
  }
  if (golds === 0) bestExact = bestF1 = predicted === '' ? 1 : 0;
  return { exactMatch: bestExact, f1: bestF1, lang: 'zh' };
}

export interface QaSummary {
  readonly count: number;
  readonly exactMatch: number;
  readonly f1: number;
}

export function summariseQa(scores: readonly { exactMatch: number; f1: number }[]): QaSummary {
  if (scores.length === 0) return { count: 0, exactMatch: 0, f1: 0 };
  let em = 0;
  let f1 = 0;
  for (const score of scores) {
    em += score.exactMatch;
    f1 += score.f1;
  }
  return { count: scores.length, exactMatch: em / scores.length, f1: f1 / scores.length };
}
