import type { DomainErrorCode } from '../../domain/index.js';

/**
 * A refusal that the current state makes, not the request's wording: the domain code it amounts to and
 * the request field it concerns, so an API can answer it as the domain's own refusal would be answered.
 */
export interface DatasetStateRefusal {
  readonly code: DomainErrorCode;
  readonly field: string;
}

/** A dataset request refused before anything is recorded: the message says what to change. */
export class DatasetRequestError extends Error {
  override readonly name = 'DatasetRequestError';

  constructor(
    message: string,
    /** Set when the state refused it (a dataset that does not exist or is archived), not the input. */
    readonly refusal?: DatasetStateRefusal,
  ) {
    super(message);
  }
}
