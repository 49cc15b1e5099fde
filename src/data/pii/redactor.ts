import { PII_PLACEHOLDERS, type PiiCounts } from './piiKinds.js';
import { findPii } from './recognisers.js';

/** Replaces every PII span with its typed placeholder and adds the counts by kind to `counts`. */
export function redactText(text: string, counts?: PiiCounts): string {
  const matches = findPii(text);
  if (matches.length === 0) return text;
  let out = '';
  let at = 0;
  for (const match of matches) {
    out += text.slice(at, match.start) + PII_PLACEHOLDERS[match.kind];
    at = match.end;
    if (counts) counts[match.kind] = (counts[match.kind] ?? 0) + 1;
  }
  return out + text.slice(at);
}

/** Counts by kind summed over several reports. */
export function mergePiiCounts(into: PiiCounts, from: PiiCounts): PiiCounts {
  for (const [kind, count] of Object.entries(from) as [keyof PiiCounts, number][]) {
    into[kind] = (into[kind] ?? 0) + count;
  }
  return into;
}
