/** A dataset request refused before anything is recorded: the message says what to change. */
export class DatasetRequestError extends Error {
  override readonly name = 'DatasetRequestError';
}
