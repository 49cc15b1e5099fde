import type { TokenizerJsonPattern } from './tokenizerJson.schema.js';

/**
 * Hugging Face patterns are Oniguruma regexes. Node 20's RegExp lacks two constructs they use: scoped
 * case-insensitivity `(?i:...)` (Llama 3, GPT-4 style patterns) and possessive quantifiers `?+ ++ *+`
 * (Qwen 2). The first is rewritten as character classes; possessive quantifiers become greedy ones, which
 * matches for these patterns because their alternatives never need to give characters back.
 */
export function toJsRegExp(pattern: TokenizerJsonPattern): RegExp {
  if ('String' in pattern) return new RegExp(escapeRegExp(pattern.String), 'gu');
  let source = pattern.Regex.replace(/\(\?i:((?:[^()\\]|\\.)*)\)/g, (_all, body: string) => {
    return `(?:${body.replace(
      /(\\.)|([A-Za-z])/g,
      (m, escaped: string | undefined, letter: string | undefined) =>
        escaped !== undefined
          ? m
          : `[${(letter as string).toLowerCase()}${(letter as string).toUpperCase()}]`,
    )})`;
  });
  source = source.replace(/(?<!\\)([?*+])\+/g, '$1').replace(/(\{\d+(?:,\d*)?\})\+/g, '$1');
  try {
    return new RegExp(source, 'gu');
  } catch (err) {
    throw new Error(
      `tokenizer.json: the pattern /${pattern.Regex}/ cannot run as a JavaScript regular expression (${(err as Error).message}); this tokenizer is not supported`,
    );
  }
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** GPT-2's pre-tokenizer pattern, used by ByteLevel with use_regex. */
export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
