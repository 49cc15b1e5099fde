/**
 * SQuAD v2.0 answer normalisation and scoring, a line-by-line port of the official
 * `evaluate-v2.0.py` (normalize_answer, get_tokens, compute_exact, compute_f1). Kept byte-faithful
 * on purpose: published numbers are only comparable when the normalisation is identical.
 */

// Python's `string.punctuation` (ASCII only); the official script strips exactly these.
const ASCII_PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

// Python's `\b(a|an|the)\b` with re.UNICODE: a word character is any letter, digit or underscore.
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

// The characters Python's `str.split()` treats as white space (JavaScript's `\s` differs slightly).
const PY_WHITESPACE_CLASS =
  // eslint-disable-next-line no-control-regex -- Python counts \x1c-\x1f as white space
  /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u.source;
export const PY_WHITESPACE = new RegExp(`${PY_WHITESPACE_CLASS}+`, 'u');
const PY_EDGES = new RegExp(`^${PY_WHITESPACE_CLASS}+|${PY_WHITESPACE_CLASS}+$`, 'gu');

/** Python's `str.strip()` with no argument. */
export function pythonStrip(text: string): string {
  return text.replace(PY_EDGES, '');
}

export function splitPythonWhitespace(text: string): string[] {
  return text.split(PY_WHITESPACE).filter((part) => part.length > 0);
}

export function normalizeSquadAnswer(text: string): string {
  const withoutPunctuation = text.toLowerCase().replace(ASCII_PUNCTUATION, '');
  return splitPythonWhitespace(withoutPunctuation.replace(ARTICLES, ' ')).join(' ');
}

export function squadTokens(text: string): string[] {
  if (!text) return [];
  return splitPythonWhitespace(normalizeSquadAnswer(text));
}

export function squadExact(gold: string, prediction: string): number {
  return normalizeSquadAnswer(gold) === normalizeSquadAnswer(prediction) ? 1 : 0;
}

/** F1 over token bags (multiset intersection), with SQuAD 2.0's rule for empty answers. */
export function squadF1(gold: string, prediction: string): number {
  return bagF1(squadTokens(gold), squadTokens(prediction));
}

export function bagF1(goldTokens: readonly string[], predictionTokens: readonly string[]): number {
  if (goldTokens.length === 0 || predictionTokens.length === 0) {
    // No-answer on either side: 1 only when both are no-answer.
    return goldTokens.length === predictionTokens.length ? 1 : 0;
  }
  const counts = new Map<string, number>();
  for (const token of goldTokens) counts.set(token, (counts.get(token) ?? 0) + 1);
  let same = 0;
  for (const token of predictionTokens) {
    const left = counts.get(token);
    if (left !== undefined && left > 0) {
      same += 1;
      counts.set(token, left - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / predictionTokens.length;
  const recall = same / goldTokens.length;
  return (2 * precision * recall) / (precision + recall);
}
