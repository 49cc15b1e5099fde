import type { SplitOptions } from '../dedup/index.js';

/** The most an eval split is ever required to hold: enough records for a metric to mean something. */
export const MIN_EVAL_RECORDS = 5;

/**
 * The fewest eval records an ingested revision of `recordCount` records may have: half of what the eval
 * fraction leads one to expect (the per-record hash split varies around it), at most MIN_EVAL_RECORDS, and
 * never fewer than 1: an empty eval split is always too small. A revision without records has no minimum.
 */
export function minimumEvalRecords(recordCount: number, evalFraction: number): number {
  if (recordCount === 0) return 0;
  return Math.max(1, Math.min(MIN_EVAL_RECORDS, Math.floor((evalFraction * recordCount) / 2)));
}

/** The numbers of an eval split below its minimum. */
export interface EvalSplitShortfall {
  readonly evalRecords: number;
  readonly recordCount: number;
  readonly minimum: number;
  readonly evalFraction: number;
  readonly seed: number;
}

export function evalSplitShortfall(
  counts: { readonly records: number; readonly eval: number },
  split: SplitOptions,
): EvalSplitShortfall | undefined {
  const minimum = minimumEvalRecords(counts.records, split.evalFraction);
  if (counts.eval >= minimum) return undefined;
  return {
    evalRecords: counts.eval,
    recordCount: counts.records,
    minimum,
    evalFraction: split.evalFraction,
    seed: split.seed,
  };
}

/** How a shortfall reads in an error or a revision's report. */
export function describeShortfall(shortfall: EvalSplitShortfall): string {
  return (
    `the eval split holds ${shortfall.evalRecords} of ${shortfall.recordCount} records ` +
    `(eval fraction ${shortfall.evalFraction}, seed ${shortfall.seed}); at least ${shortfall.minimum} ` +
    `are needed (half the expected ${Number((shortfall.evalFraction * shortfall.recordCount).toFixed(2))}, ` +
    `at most ${MIN_EVAL_RECORDS}, at least 1)`
  );
}

/**
 * An ingest whose eval split would be below its minimum (see minimumEvalRecords): nothing was stored. The
 * caller may accept it with `allowSmallEvalSplit`, which records the shortfall as a warning instead.
 */
export class EvalSplitTooSmallError extends Error {
  readonly code = 'EVAL_SPLIT_TOO_SMALL';

  constructor(readonly shortfall: EvalSplitShortfall) {
    super(
      `${describeShortfall(shortfall)}, so nothing was ingested: add records, raise the eval fraction, ` +
        'try another seed, or accept the small eval split explicitly (allowSmallEvalSplit / --allow-small-eval)',
    );
    this.name = 'EvalSplitTooSmallError';
  }
}
