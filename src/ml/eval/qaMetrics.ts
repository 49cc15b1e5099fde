/**
 * Exact match and F1 for one prediction against several references, choosing SQuAD v2.0 rules
 * for English and CMRC 2018 rules for Chinese. Scores are fractions in [0, 1]; the official
 * scripts print the same numbers multiplied by 100.
 */
import { cmrcExact, cmrcF1, cmrcRemovePunctuation } from './cmrc.js';
import { containsHan, type Language } from './language.js';
import { normalizeSquadAnswer, squadExact, squadF1 } from './squad.js';

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
 */
export function scoreAnswer(prediction: string, references: readonly string[], lang?: Language): QaScore {
  const language = lang ?? detectAnswerLanguage(references, prediction);
  const normalise = language === 'zh' ? cmrcRemovePunctuation : normalizeSquadAnswer;
  const exact = language === 'zh' ? cmrcExact : squadExact;
  const f1 = language === 'zh' ? cmrcF1 : squadF1;
  const golds = references.filter((reference) => normalise(reference) !== '');
  if (golds.length === 0) {
    const answered = normalise(prediction) !== '' ? 0 : 1;
    return { exactMatch: answered, f1: answered, lang: language };
  }
  let bestExact = 0;
  let bestF1 = 0;
  for (const gold of golds) {
    bestExact = Math.max(bestExact, exact(gold, prediction));
    bestF1 = Math.max(bestF1, f1(gold, prediction));
  }
  return { exactMatch: bestExact, f1: bestF1, lang: language };
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
