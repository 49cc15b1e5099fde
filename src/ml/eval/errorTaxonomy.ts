/**
 * Classifies a wrong answer into one category. Precedence, first match wins (most specific and
 * most actionable cause first):
 *   empty > truncated > refusal > wrong_language > format_violation > entity_not_grounded >
 *   partially_correct > wrong
 * A truncated answer is usually also wrong in every other way, so the root cause is reported.
 */
import type { ConstraintResult } from './instructionFollowing.js';
import { detectScriptLanguage, type Language } from './language.js';

export const ERROR_CATEGORIES = [
  'empty',
  'truncated',
  'refusal',
  'wrong_language',
  'format_violation',
  'entity_not_grounded',
  'partially_correct',
  'wrong',
] as const;

export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

const REFUSAL_PATTERNS: readonly RegExp[] = [
  /\b(?:i(?:'m| am) (?:sorry|afraid)|i apologi[sz]e)\b.{0,40}\b(?:can(?:'|no)t|cannot|unable|not able)\b/i,
  /\bi (?:can(?:'|no)t|cannot|won't|will not|am unable to|am not able to) (?:help|assist|provide|answer|comply|do that|fulfil|fulfill)/i,
  /\bas an ai(?: language model)?\b/i,
  /\b(?:i must|i have to) (?:decline|refuse)\b/i,
  /(?:抱歉|对不起|很遗憾)[，,。\s]*(?:我)?(?:无法|不能|没法|不便)/u,
  /我(?:无法|不能|没办法|不便)(?:回答|提供|帮助|协助|完成|满足)/u,
  /作为(?:一个)?(?:AI|人工智能|语言模型)/iu,
];

export function isRefusal(text: string): boolean {
  return REFUSAL_PATTERNS.some((pattern) => pattern.test(text));
}

/** Unfinished output: unbalanced code fences, or JSON that opens and never closes. */
export function looksUnfinished(text: string): boolean {
  const fences = text.match(/```/g)?.length ?? 0;
  if (fences % 2 === 1) return true;
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let depth = 0;
    let inString = false;
    for (let i = 0; i < trimmed.length; i += 1) {
      const char = trimmed[i];
      if (inString) {
        if (char === '\\') i += 1;
        else if (char === '"') inString = false;
      } else if (char === '"') inString = true;
      else if (char === '{' || char === '[') depth += 1;
      else if (char === '}' || char === ']') depth -= 1;
    }
    return depth > 0 || inString;
  }
  return false;
}

const NUMBER = /\d+(?:[.,]\d+)*/g;
// Capitalised Latin words not at the start of a sentence: a cheap proper-noun detector.
const PROPER_NOUN = /(?<![.!?。！？]\s*|^\s*)(?<![\p{L}\p{N}])\p{Lu}[\p{L}\p{N}'-]+/gmu;

/** Numbers, proper nouns and lexicon terms in `output` that appear nowhere in `sources`. */
export function ungroundedEntities(
  output: string,
  sources: string,
  lexicon: readonly string[] = [],
): string[] {
  const haystack = sources.toLowerCase();
  const missing: string[] = [];
  for (const number of output.match(NUMBER) ?? []) {
    if (!haystack.includes(number.toLowerCase())) missing.push(number);
  }
  for (const name of output.match(PROPER_NOUN) ?? []) {
    if (!haystack.includes(name.toLowerCase())) missing.push(name);
  }
  const outputLower = output.toLowerCase();
  for (const term of lexicon) {
    const lower = term.toLowerCase();
    if (lower !== '' && outputLower.includes(lower) && !haystack.includes(lower)) missing.push(term);
  }
  return missing;
}

export interface TaxonomyInput {
  readonly prediction: string;
  readonly instruction: string;
  readonly input?: string;
  readonly references: readonly string[];
  readonly finishReason?: string;
  /** The language the answer should be in (record's `lang`, a response_language constraint, or the references'). */
  readonly expectedLanguage?: Language;
  readonly f1: number;
  readonly constraintResults: readonly ConstraintResult[];
  readonly lexicon?: readonly string[];
  /** F1 at or above this (and below 1) makes a wrong answer "partially correct". */
  readonly partialF1Threshold: number;
}

export function classifyError(record: TaxonomyInput): ErrorCategory {
  const prediction = record.prediction;
  if (prediction.trim() === '') return 'empty';
  if (record.finishReason === 'length' || looksUnfinished(prediction)) return 'truncated';
  if (isRefusal(prediction)) return 'refusal';
  if (record.expectedLanguage !== undefined) {
    const actual = detectScriptLanguage(prediction);
    if (actual !== undefined && actual !== record.expectedLanguage) return 'wrong_language';
  }
  if (record.constraintResults.some((result) => !result.strict && result.kind !== 'response_language')) {
    return 'format_violation';
  }
  const sources = [record.instruction, record.input ?? '', ...record.references].join('\n');
  if (ungroundedEntities(prediction, sources, record.lexicon).length > 0) return 'entity_not_grounded';
  if (record.f1 > 0 && record.f1 >= record.partialF1Threshold) return 'partially_correct';
  return 'wrong';
}
