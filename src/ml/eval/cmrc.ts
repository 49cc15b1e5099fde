/**
 * CMRC 2018 scoring, a port of the official `cmrc2018_evaluate.py`: text is lower-cased and
 * stripped, each character in U+4E00..U+9FA5 (and each listed punctuation mark) is its own token,
 * runs of other text go through an NLTK-style word tokenizer. F1 is computed from the longest
 * common *substring* of the two token lists (not a bag of tokens) — that is what the official
 * script does, and numbers are only comparable if we do the same.
 */
import { pythonStrip, splitPythonWhitespace } from './squad.js';

// The official list. '……' is a two-character entry that never equals a single character, so a
// lone '…' is kept, exactly as in the official script.
const CMRC_PUNCTUATION = new Set([
  '-',
  ':',
  '_',
  '*',
  '^',
  '/',
  '\\',
  '~',
  '`',
  '+',
  '=',
  '，',
  '。',
  '：',
  '？',
  '！',
  '“',
  '”',
  '；',
  '’',
  '《',
  '》',
  '……',
  '·',
  '、',
  '「',
  '」',
  '（',
  '）',
  '－',
  '～',
  '『',
  '』',
]);

const CJK_CHAR = /[\u4e00-\u9fa5]/u;

const W = '[\\p{L}\\p{N}_]';
// Python's \b (Unicode-aware) as look-arounds, since JavaScript's \b only knows ASCII.
const NOT_AFTER_WORD = `(?<!${W})`;
const NOT_BEFORE_WORD = `(?!${W})`;

type Rule = readonly [RegExp, string];

const STARTING_QUOTES: readonly Rule[] = [
  [/([«“‘„]|`+)/gu, ' $1 '],
  [/^"/u, '``'],
  [/(``)/gu, ' $1 '],
  [/([ ([{<])("|'{2})/gu, '$1 `` '],
  [new RegExp(`${NOT_AFTER_WORD}(')(?!(?:re|ve|ll|m|t|s|d|n)${NOT_BEFORE_WORD})(?=${W})`, 'giu'), '$1 '],
];

const PUNCTUATION: readonly Rule[] = [
  [/([^.])(\.)([\])}>"'»”’ ]*)\s*$/u, '$1 $2 $3 '],
  [/([:,])([^\p{Nd}])/gu, ' $1 $2'],
  [/([:,])$/u, ' $1 '],
  [/\.{2,}/gu, ' $& '],
  [/[;@#$%&]/gu, ' $& '],
  [/[\u2012-\u2015]/gu, ' $& '],
  [/([^.])(\.)([\])}>"']*)\s*$/u, '$1 $2$3 '],
  [/[?!]/gu, ' $& '],
  [/([^'])' /gu, "$1 ' "],
  [/[*]/gu, ' $& '],
  [/[\][(){}<>]/gu, ' $& '],
  [/--/gu, ' -- '],
];

const ENDING_QUOTES: readonly Rule[] = [
  [/([»”’])/gu, ' $1 '],
  [/''/gu, " '' "],
  [/"/gu, " '' "],
  [/\s+/gu, ' '],
  [/([^' ])('[sS]|'[mM]|'[dD]|') /gu, '$1 $2 '],
  [/([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) /gu, '$1 $2 '],
];

const CONTRACTIONS: readonly Rule[] = [
  ...['(can)(not)', "(d)('ye)", '(gim)(me)', '(gon)(na)', '(got)(ta)', '(lem)(me)', "(more)('n)"].map(
    (pair): Rule => [new RegExp(`${NOT_AFTER_WORD}${pair}${NOT_BEFORE_WORD}`, 'giu'), ' $1 $2 '],
  ),
  [new RegExp(`${NOT_AFTER_WORD}(wan)(na)(?=\\s)`, 'giu'), ' $1 $2 '],
  [new RegExp(` ('t)(is)${NOT_BEFORE_WORD}`, 'giu'), ' $1 $2 '],
  [new RegExp(` ('t)(was)${NOT_BEFORE_WORD}`, 'giu'), ' $1 $2 '],
];

const PLAIN_TEXT = /^[\p{L}\p{N}\s]*$/u;
const SPLIT_WORDS = /cannot|gimme|gonna|gotta|lemme|wanna/i;

/**
 * A port of NLTK's `NLTKWordTokenizer.tokenize` (what `word_tokenize` runs on each sentence), rule
 * for rule. `word_tokenize` first splits sentences with Punkt, which is not ported: a Latin run
 * with several sentences may split a mid-text period differently (documented in docs/evaluation.md).
 */
export function treebankTokenize(text: string): string[] {
  // Fast path: only letters, digits and white space, and none of the split contractions: no rule
  // can fire, so the tokens are the white-space-separated words.
  if (PLAIN_TEXT.test(text) && !SPLIT_WORDS.test(text)) return splitPythonWhitespace(text);
  let t = text;
  for (const [pattern, replacement] of STARTING_QUOTES) t = t.replace(pattern, replacement);
  for (const [pattern, replacement] of PUNCTUATION) t = t.replace(pattern, replacement);
  t = ` ${t} `;
  for (const [pattern, replacement] of ENDING_QUOTES) t = t.replace(pattern, replacement);
  for (const [pattern, replacement] of CONTRACTIONS) t = t.replace(pattern, replacement);
  return splitPythonWhitespace(t);
}

export function cmrcSegments(text: string, removePunctuation: boolean): string[] {
  const lowered = pythonStrip(text.toLowerCase());
  const segments: string[] = [];
  let pending = '';
  for (const char of lowered) {
    const isPunctuation = CMRC_PUNCTUATION.has(char);
    if (removePunctuation && isPunctuation) continue;
    if (CJK_CHAR.test(char) || isPunctuation) {
      if (pending !== '') {
        segments.push(...treebankTokenize(pending));
        pending = '';
      }
      segments.push(char);
    } else {
      pending += char;
    }
  }
  if (pending !== '') segments.push(...treebankTokenize(pending));
  return segments;
}

export function cmrcRemovePunctuation(text: string): string {
  let out = '';
  for (const char of pythonStrip(text.toLowerCase())) if (!CMRC_PUNCTUATION.has(char)) out += char;
  return out;
}

export function longestCommonSubstringLength(a: readonly string[], b: readonly string[]): number {
  let best = 0;
  let previous = new Array<number>(b.length + 1).fill(0);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 0; i < a.length; i += 1) {
    for (let j = 0; j < b.length; j += 1) {
      current[j + 1] = a[i] === b[j] ? previous[j]! + 1 : 0;
      if (current[j + 1]! > best) best = current[j + 1]!;
    }
    [previous, current] = [current, previous];
  }
  return best;
}

export function cmrcExact(gold: string, prediction: string): number {
  return cmrcRemovePunctuation(gold) === cmrcRemovePunctuation(prediction) ? 1 : 0;
}

export function cmrcF1(gold: string, prediction: string): number {
  const goldSegments = cmrcSegments(gold, true);
  const predictionSegments = cmrcSegments(prediction, true);
  const common = longestCommonSubstringLength(goldSegments, predictionSegments);
  if (common === 0) return 0;
  const precision = common / predictionSegments.length;
  const recall = common / goldSegments.length;
  return (2 * precision * recall) / (precision + recall);
}
