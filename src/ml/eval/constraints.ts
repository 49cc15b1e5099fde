/**
 * Verifiable instruction constraints in the style of IFEval (Zhou et al., 2023): each record may
 * carry a list of `{kind, params}`; each kind has a checker that says whether a response follows
 * it. Chinese is handled by script (Han characters count as words, Chinese punctuation counts).
 */
import { z } from 'zod';
import { detectScriptLanguage } from './language.js';

const relation = z.enum(['at least', 'at most', 'exactly']);
const positiveCount = z.number().int().min(0);

export const constraintSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('json_format'), params: z.object({}).optional() }),
  z.object({
    kind: z.literal('bullet_count'),
    params: z.object({ count: positiveCount, relation: relation.default('exactly') }),
  }),
  z.object({
    kind: z.literal('paragraph_count'),
    params: z.object({
      count: positiveCount,
      relation: relation.default('exactly'),
      /** 'blank-line': paragraphs separated by empty lines; 'divider': by `***` as in IFEval. */
      separator: z.enum(['blank-line', 'divider']).default('blank-line'),
    }),
  }),
  z.object({
    kind: z.literal('word_count'),
    params: z.object({ count: positiveCount, relation: relation.exclude(['exactly']) }),
  }),
  z.object({
    kind: z.literal('sentence_count'),
    params: z.object({ count: positiveCount, relation: relation.exclude(['exactly']) }),
  }),
  z.object({
    kind: z.literal('char_count'),
    params: z.object({ count: positiveCount, relation: relation.exclude(['exactly']) }),
  }),
  z.object({
    kind: z.literal('required_keywords'),
    params: z.object({ keywords: z.array(z.string().min(1)).min(1) }),
  }),
  z.object({
    kind: z.literal('forbidden_keywords'),
    params: z.object({ keywords: z.array(z.string().min(1)).min(1) }),
  }),
  z.object({ kind: z.literal('response_language'), params: z.object({ language: z.enum(['zh', 'en']) }) }),
  z.object({ kind: z.literal('starts_with'), params: z.object({ phrase: z.string().min(1) }) }),
  z.object({ kind: z.literal('ends_with'), params: z.object({ phrase: z.string().min(1) }) }),
  z.object({ kind: z.literal('no_commas'), params: z.object({}).optional() }),
  z.object({ kind: z.literal('all_lowercase'), params: z.object({}).optional() }),
  z.object({ kind: z.literal('all_uppercase'), params: z.object({}).optional() }),
  z.object({
    kind: z.literal('placeholder_count'),
    params: z.object({ count: positiveCount, relation: relation.default('at least') }),
  }),
  z.object({ kind: z.literal('title'), params: z.object({}).optional() }),
]);

export type Constraint = z.infer<typeof constraintSchema>;
export type ConstraintInput = z.input<typeof constraintSchema>;
export type ConstraintKind = Constraint['kind'];

export const CONSTRAINT_KINDS: readonly ConstraintKind[] = constraintSchema.options.map(
  (option) => option.shape.kind.value,
);

type Relation = z.infer<typeof relation>;

function compare(actual: number, wanted: Relation, count: number): boolean {
  if (wanted === 'at least') return actual >= count;
  if (wanted === 'at most') return actual <= count;
  return actual === count;
}

// IFEval counts bullets as lines starting with `* ` or `- `; we also accept `+` and `•`.
const BULLET_LINE = /^\s*(?:\*[^*]|[-+•]).*$/gmu;
// A Latin full stop ends a sentence only before white space, a closing quote or the end, so "3.14" is one.
const SENTENCE_END = /[.!?]+(?=[\s"”’)]|$)|[。！？]+|\n\s*\n/gu;
const PLACEHOLDER = /\[[^\]\n]*?\]/g;
const TITLE = /<<([^\n]+?)>>/u;
const CJK_RANGE = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/u;

const NON_ASCII_WORD_CHAR = /[\p{L}\p{N}]/u;

function isHanCode(code: number): boolean {
  return (
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0xf900 && code <= 0xfaff)
  );
}

/** A Han character is a word; a run of other letters, digits or `_` is a word. One pass, no allocation. */
export function countWords(text: string): number {
  let words = 0;
  let inRun = false;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (isHanCode(code)) {
      words += 1;
      inRun = false;
      continue;
    }
    let wordChar: boolean;
    if (code < 128) {
      wordChar =
        (code >= 48 && code <= 57) ||
        (code >= 65 && code <= 90) ||
        (code >= 97 && code <= 122) ||
        code === 95;
    } else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      // A character outside the BMP (rare CJK, emoji): test the whole code point.
      wordChar = NON_ASCII_WORD_CHAR.test(text.slice(i, i + 2));
      i += 1;
    } else {
      wordChar = NON_ASCII_WORD_CHAR.test(text[i]!);
    }
    if (wordChar && !inRun) words += 1;
    inRun = wordChar;
  }
  return words;
}

export function countSentences(text: string): number {
  const pieces = text.split(SENTENCE_END).filter((piece) => /[\p{L}\p{N}]/u.test(piece));
  return pieces.length;
}

export function countParagraphs(text: string, separator: 'blank-line' | 'divider'): number {
  const splitter = separator === 'divider' ? /\s?\*\*\*\s?/ : /\n\s*\n/;
  const paragraphs = text.trim().split(splitter);
  // IFEval: an empty paragraph in the middle fails; empty ends are tolerated.
  for (let i = 0; i < paragraphs.length; i += 1) {
    if (paragraphs[i]!.trim() === '' && i !== 0 && i !== paragraphs.length - 1) return -1;
  }
  return paragraphs.filter((paragraph) => paragraph.trim() !== '').length;
}

const JSON_CLOSERS: Record<string, string> = { '{': '}', '[': ']', '"': '"' };

function stripJsonFence(text: string): string {
  let value = text.trim();
  for (const prefix of ['```json', '```Json', '```JSON', '```']) {
    if (value.startsWith(prefix)) {
      value = value.slice(prefix.length);
      break;
    }
  }
  if (value.endsWith('```')) value = value.slice(0, -3);
  return value.trim();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const keywordPatterns = new Map<string, RegExp>();

function containsKeyword(text: string, keyword: string): boolean {
  const lower = text.toLowerCase();
  const wanted = keyword.toLowerCase();
  if (CJK_RANGE.test(wanted) || !/^[\p{L}\p{N}_]/u.test(wanted) || !/[\p{L}\p{N}_]$/u.test(wanted)) {
    return lower.includes(wanted);
  }
  // Latin keywords match whole words, so "cat" is not found in "category" (IFEval's \b rule).
  let pattern = keywordPatterns.get(wanted);
  if (!pattern) {
    pattern = new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRegExp(wanted)}(?![\\p{L}\\p{N}_])`, 'u');
    if (keywordPatterns.size > 10_000) keywordPatterns.clear();
    keywordPatterns.set(wanted, pattern);
  }
  return pattern.test(lower);
}

function stripEdges(text: string): string {
  // IFEval's end checker strips white space and quotation marks before comparing.
  return text
    .trim()
    .replace(/^["“'「]+|["”'」]+$/gu, '')
    .trim()
    .toLowerCase();
}

export function checkConstraint(response: string, constraint: Constraint): boolean {
  switch (constraint.kind) {
    case 'json_format': {
      const candidate = stripJsonFence(response);
      // Cheap rejection first: a thrown SyntaxError costs more than all the other checks together.
      if (!/^[[{"\-\dtfn]/.test(candidate)) return false;
      const closer = JSON_CLOSERS[candidate[0]!];
      if (closer !== undefined && !candidate.endsWith(closer)) return false;
      try {
        JSON.parse(candidate);
        return true;
      } catch {
        return false;
      }
    }
    case 'bullet_count': {
      const bullets = response.match(BULLET_LINE)?.length ?? 0;
      return compare(bullets, constraint.params.relation, constraint.params.count);
    }
    case 'paragraph_count': {
      const paragraphs = countParagraphs(response, constraint.params.separator);
      return paragraphs >= 0 && compare(paragraphs, constraint.params.relation, constraint.params.count);
    }
    case 'word_count':
      return compare(countWords(response), constraint.params.relation, constraint.params.count);
    case 'sentence_count':
      return compare(countSentences(response), constraint.params.relation, constraint.params.count);
    case 'char_count':
      return compare([...response.trim()].length, constraint.params.relation, constraint.params.count);
    case 'required_keywords':
      return constraint.params.keywords.every((keyword) => containsKeyword(response, keyword));
    case 'forbidden_keywords':
      return !constraint.params.keywords.some((keyword) => containsKeyword(response, keyword));
    case 'response_language':
      return detectScriptLanguage(response) === constraint.params.language;
    case 'starts_with': {
      const start = stripEdges(constraint.params.phrase);
      return response
        .trim()
        .replace(/^["“'「]+/u, '')
        .toLowerCase()
        .startsWith(start);
    }
    case 'ends_with':
      return stripEdges(response).endsWith(stripEdges(constraint.params.phrase));
    case 'no_commas':
      return !response.includes(',') && !response.includes('，');
    case 'all_lowercase':
      return response === response.toLowerCase() && /\p{Ll}/u.test(response);
    case 'all_uppercase':
      return response === response.toUpperCase() && /\p{Lu}/u.test(response);
    case 'placeholder_count': {
      const placeholders = response.match(PLACEHOLDER)?.length ?? 0;
      return compare(placeholders, constraint.params.relation, constraint.params.count);
    }
    case 'title': {
      const match = TITLE.exec(response);
      return match !== null && match[1]!.trim() !== '';
    }
    default: {
      const unreachable: never = constraint;
      throw new Error(`unknown constraint ${JSON.stringify(unreachable)}`);
    }
  }
}
