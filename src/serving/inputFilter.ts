import { redactText, type PiiCounts, type RedactOptions } from '../data/pii/index.js';

export interface RedactedInput {
  readonly text: string;
  /** PII found, by kind; empty when the text was clean. */
  readonly counts: PiiCounts;
}

/** PII redaction on a prompt: what reaches the model, the log and the metrics never holds the original spans. */
export function redactInput(text: string, options?: RedactOptions): RedactedInput {
  const counts: PiiCounts = {};
  return { text: redactText(text, counts, options), counts };
}

/** The filter rule an input redaction is recorded under, e.g. `pii:email,phone`; undefined when nothing was found. */
export function redactionRule(counts: PiiCounts): string | undefined {
  const kinds = Object.keys(counts).sort();
  return kinds.length > 0 ? `pii:${kinds.join(',')}` : undefined;
}
