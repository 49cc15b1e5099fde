import { fmix32, murmur3 } from './stringHash.js';

export interface SplitOptions {
  /** Share of records that go to the eval split, 0 to 1. */
  readonly evalFraction: number;
  readonly seed: number;
}

/**
 * Which split a record belongs to, from a hash of its canonical text and the seed alone: adding
 * records to a dataset never moves the existing ones, and the same seed always gives the same split.
 */
export function splitOf(canonicalRecord: string, options: SplitOptions): 'train' | 'eval' {
  if (!(options.evalFraction >= 0 && options.evalFraction <= 1)) {
    throw new Error(`evalFraction ${options.evalFraction} is out of range: expected a number from 0 to 1`);
  }
  const bucket = fmix32(murmur3(canonicalRecord, 0x2545f491) ^ fmix32(options.seed >>> 0)) / 2 ** 32;
  return bucket < options.evalFraction ? 'eval' : 'train';
}
