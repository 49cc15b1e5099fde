import { PII_PLACEHOLDERS, type PiiCounts } from './piiKinds.js';
import { checkPiiKey, pseudonymFor, type PiiPolicy } from './piiPolicy.js';
import { findPii } from './recognisers.js';

export interface RedactOptions {
  /** The action per kind; by default every kind is redacted. */
  readonly policy?: PiiPolicy;
  /** The HMAC key pseudonyms are made with (TUNELEDGER_PII_KEY or a per-dataset salt); needed when the policy pseudonymises. */
  readonly key?: string;
}

/**
 * Replaces every PII span with its typed placeholder (or keeps it, or puts a keyed pseudonym in its
 * place, as the policy says) and adds the counts by kind to `counts`: every span found is counted,
 * whatever was done with it. Throws PiiPolicyError when the policy pseudonymises without a key.
 */
export function redactText(text: string, counts?: PiiCounts, options?: RedactOptions): string {
  const policy = options?.policy;
  if (policy) checkPiiKey(policy, options?.key);
  const matches = findPii(text);
  if (matches.length === 0) return text;
  let out = '';
  let at = 0;
  for (const match of matches) {
    const action = policy?.[match.kind] ?? 'redact';
    const value = text.slice(match.start, match.end);
    const replacement =
      action === 'keep'
        ? value
        : action === 'pseudonymise'
          ? pseudonymFor(match.kind, value, options!.key!)
          : PII_PLACEHOLDERS[match.kind];
    out += text.slice(at, match.start) + replacement;
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
