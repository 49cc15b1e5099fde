/**
 * Reordered-constraints noise: the instruction's sentences are shuffled (the first, which usually
 * states the task, stays first when `keepFirst` is set), so a model that reads constraints by
 * position rather than meaning is caught out.
 */
import { shuffle, type Random } from './seededRandom.js';
import { splitSentences } from './sentences.js';
import { isMostlyChinese } from './textLanguage.js';

export function reorderSentences(instruction: string, random: Random, keepFirst = true): string {
  const sentences = splitSentences(instruction);
  if (sentences.length < 2 || (keepFirst && sentences.length < 3)) return instruction;
  const head = keepFirst ? sentences.slice(0, 1) : [];
  const tail = keepFirst ? sentences.slice(1) : sentences;
  let shuffled = shuffle(random, tail);
  // A shuffle may return the same order; rotate once so the variant always differs.
  if (shuffled.every((sentence, index) => sentence === tail[index])) shuffled = [...tail.slice(1), tail[0]!];
  return [...head, ...shuffled].join(isMostlyChinese(instruction) ? '' : ' ');
}
