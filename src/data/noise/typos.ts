/**
 * Typo noise: swaps two neighbouring letters or drops one, in a share of the words (English) or
 * characters (Chinese), never inside a protected entity term (names, numbers, lexicon terms must
 * survive, or the reference answer would no longer be recoverable).
 */
import type { Random } from './seededRandom.js';

export interface TypoOptions {
  /** Share of eligible words to damage, at least one when any is eligible (default 0.15). */
  readonly rate?: number;
  /** Terms that must stay intact. */
  readonly protectedTerms?: readonly string[];
}

function protectedMask(text: string, terms: readonly string[]): boolean[] {
  const mask = new Array<boolean>(text.length).fill(false);
  const lower = text.toLowerCase();
  for (const term of terms) {
    if (term === '') continue;
    const needle = term.toLowerCase();
    let from = 0;
    for (;;) {
      const at = lower.indexOf(needle, from);
      if (at < 0) break;
      for (let i = at; i < at + needle.length; i += 1) mask[i] = true;
      from = at + 1;
    }
  }
  // Digits are facts too: a typo in "1987" changes the question.
  for (let i = 0; i < text.length; i += 1) if (/\d/.test(text[i]!)) mask[i] = true;
  return mask;
}

interface Span {
  readonly start: number;
  readonly end: number;
}

export function addTypos(text: string, random: Random, options: TypoOptions = {}): string {
  const mask = protectedMask(text, options.protectedTerms ?? []);
  const spans: Span[] = [];
  // Latin words of 3+ letters, and runs of 2+ Han characters, none of them protected.
  for (const match of text.matchAll(/[A-Za-z]{3,}|[\u4e00-\u9fff]{2,}/gu)) {
    const start = match.index;
    const end = start + match[0].length;
    let free = true;
    for (let i = start; i < end; i += 1) if (mask[i]) free = false;
    if (free) spans.push({ start, end });
  }
  if (spans.length === 0) return text;
  const wanted = Math.max(1, Math.round(spans.length * (options.rate ?? 0.15)));
  const chosen = new Set<number>();
  while (chosen.size < Math.min(wanted, spans.length)) chosen.add(Math.floor(random() * spans.length));
  const chars = text.split('');
  // Edit from the end so earlier offsets stay valid.
  for (const index of [...chosen].sort((a, b) => b - a)) {
    const { start, end } = spans[index]!;
    const at = start + Math.floor(random() * (end - start - 1));
    if (random() < 0.5) {
      [chars[at], chars[at + 1]] = [chars[at + 1]!, chars[at]!];
      if (chars[at] === chars[at + 1]) chars.splice(at, 1);
    } else {
      chars.splice(at, 1);
    }
  }
  return chars.join('');
}
