/** An ingest that would record a revision without records: nothing was stored. */
export class EmptyDatasetError extends Error {
  /** Stable, for callers that map errors (GraphQL's extensions.reason). */
  readonly code = 'EMPTY_DATASET';

  constructor(message: string) {
    super(message);
    this.name = 'EmptyDatasetError';
  }
}
