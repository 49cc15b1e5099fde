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

/**
 * The common cases of NLTK's `word_tokenize` (Treebank rules): quotes, punctuation split from
 * words, a final period split off, contractions ("n't", "'s", "'re" ...). Enough for the Latin
 * words, numbers and punctuation found inside Chinese answers; exotic English may tokenize
 * differently from NLTK (documented in docs/evaluation.md).
 */
export function treebankTokenize(text: string): string[] {
  let t = ` ${text} `;
  t = t.replace(/^(\s*)"/, '$1 `` ');
  t = t.replace(/([ ([{<])"/g, '$1 `` ');
  t = t.replace(/([:,])([^\d])/g, ' $1 $2');
  t = t.replace(/([:,])$/g, ' $1 ');
  t = t.replace(/\.\.\./g, ' ... ');
  t = t.replace(/[;@#$%&]/g, ' $& ');
  t = t.replace(/([^.])(\.)([\])}>"']*)\s*$/g, '$1 $2$3 ');
  t = t.replace(/[?!]/g, ' $& ');
  t = t.replace(/([^'])' /g, "$1 ' ");
  t = t.replace(/[\][(){}<>]/g, ' $& ');
  t = t.replace(/--/g, ' -- ');
  t = t.replace(/"/g, " '' ");
  t = t.replace(/(\S)(''?)/g, '$1 $2 ');
  t = t.replace(/([^' ])('[sS]|'[mM]|'[dD]|') /g, '$1 $2 ');
  t = t.replace(/([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) /g, '$1 $2 ');
  t = t.replace(/\b(can)(not)\b/gi, ' $1 $2 ');
  t = t.replace(/\b(gon|wan)(na)\s/gi, ' $1 $2 ');
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
