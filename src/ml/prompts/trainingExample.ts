import type { Tokenizer } from '../tokenizers/index.js';
import type { PromptFormat } from './promptFormat.js';
import type { TrainingRecord } from './trainingRecord.js';

export interface TrainingExampleOptions {
  /** Terms (product names, entities) whose response tokens get entityMask 1, for an entity-weighted loss. */
  readonly entityTerms?: readonly string[];
  /** Match entity terms ignoring case. Default false. */
  readonly ignoreCase?: boolean;
  /** Longest token sequence; longer examples lose their end. */
  readonly maxLength: number;
}

/**
 * Token ids of one example with masks aligned to them: `lossMask[t]` is 1 when token t belongs to the
 * response (a causal LM predicts token t from the tokens before it, so the loss at output position t-1 is
 * weighted by lossMask[t]); `entityMask[t]` is 1 on response tokens that overlap an entity term.
 */
export interface TrainingExample {
  readonly inputIds: number[];
  readonly lossMask: number[];
  readonly entityMask: number[];
  /** The example was longer than maxLength and lost its end (possibly all of the response). */
  readonly truncated: boolean;
  /** How many leading tokens are prompt. */
  readonly promptLength: number;
}

/**
 * Renders a record with a prompt format and tokenizes prompt + response in one pass, so token boundaries are
 * those of the whole text. A token is response when its character span reaches past the prompt; with the
 * formats here the prompt ends on a special token or a newline, where no token straddles.
 */
export function buildTrainingExample(
  record: TrainingRecord,
  format: PromptFormat,
  tokenizer: Tokenizer,
  options: TrainingExampleOptions,
): TrainingExample {
  if (!Number.isInteger(options.maxLength) || options.maxLength < 1) {
    throw new Error(`buildTrainingExample: maxLength must be a positive integer, got ${options.maxLength}`);
  }
  const { prompt, response } = format.render(record, tokenizer);
  const text = prompt + response;
  const { ids, offsets } = tokenizer.encodeWithOffsets(text);
  const entitySpans = findTerms(response, options.entityTerms ?? [], options.ignoreCase === true).map(
    ([s, e]) => [s + prompt.length, e + prompt.length] as const,
  );
  const lossMask = offsets.map(([, end]) => (end > prompt.length ? 1 : 0));
  const entityMask = offsets.map(([start, end], i) =>
    lossMask[i] === 1 && entitySpans.some(([s, e]) => start < e && end > s) ? 1 : 0,
  );
  const promptLength = lossMask.indexOf(1) < 0 ? ids.length : lossMask.indexOf(1);
  const truncated = ids.length > options.maxLength;
  const keep = Math.min(ids.length, options.maxLength);
  return {
    inputIds: ids.slice(0, keep),
    lossMask: lossMask.slice(0, keep),
    entityMask: entityMask.slice(0, keep),
    truncated,
    promptLength: Math.min(promptLength, keep),
  };
}

/** [start, end) of every occurrence of every term in text (overlaps allowed). */
export function findTerms(
  text: string,
  terms: readonly string[],
  ignoreCase: boolean,
): Array<[number, number]> {
  const haystack = ignoreCase ? text.toLowerCase() : text;
  const spans: Array<[number, number]> = [];
  for (const term of terms) {
    if (term.length === 0) continue;
    const needle = ignoreCase ? term.toLowerCase() : term;
    for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) {
      spans.push([at, at + needle.length]);
    }
  }
  return spans;
}
