import { expect } from 'vitest';
import type { Tokenizer } from '../../../src/ml/tokenizers/index.js';

/**
 * Every token's span, read from the text, must be what the token decodes to. The token is decoded after a
 * plain "a" so that SentencePiece's rule of dropping the first leading space does not apply; the first
 * token may carry the space SentencePiece adds in front of the text.
 */
export function expectOffsetsMatchText(tokenizer: Tokenizer, text: string): void {
  const { ids, offsets } = tokenizer.encodeWithOffsets(text);
  expect(offsets).toHaveLength(ids.length);
  const a = tokenizer.encode('a');
  let covered = 0;
  ids.forEach((id, i) => {
    const [start, end] = offsets[i];
    expect(start).toBeGreaterThanOrEqual(0);
    expect(end).toBeLessThanOrEqual(text.length);
    expect(start).toBeLessThanOrEqual(end);
    const piece = tokenizer.decode([...a, id]).slice(1);
    const sliced = text.slice(start, end);
    // A partial-byte token decodes to U+FFFD; its span is the whole character, checked elsewhere.
    if (!piece.includes('\uFFFD')) expect(start === 0 && ' ' + sliced === piece ? piece : sliced).toBe(piece);
    covered = Math.max(covered, end);
  });
  expect(covered).toBe(text.length);
}
