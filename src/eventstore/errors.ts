import type { ExpectedVersion } from './eventStore.js';

/** Base class: every error the event store raises on purpose carries a stable `code`. */
export class EventStoreError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The stream was not at the version the caller expected (someone else appended first). */
export class WrongExpectedVersionError extends EventStoreError {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    /** The stream's version when the append was refused; 0 when the stream does not exist. */
    readonly actual: number,
  ) {
    super(
      'WRONG_EXPECTED_VERSION',
      `stream "${streamId}": expected version ${String(expected)} but it is at ${actual}; ` +
        're-read the stream and decide again',
    );
  }
}

/** The caller handed the store something it cannot record (empty stream id, non-JSON data...). */
export class InvalidEventError extends EventStoreError {
  constructor(message: string) {
    super('INVALID_EVENT', message);
  }
}

/** A retried append mixed event ids already recorded with new ones, or reused ids of another stream. */
export class IdempotencyConflictError extends EventStoreError {
  constructor(message: string) {
    super('IDEMPOTENCY_CONFLICT', message);
  }
}

/**
 * An idempotency key came back with a different request: the key was first used for another payload
 * (another fingerprint), so this request is refused and nothing is recorded.
 */
export class IdempotencyKeyReusedError extends EventStoreError {
  constructor(readonly idempotencyKey: string) {
    super(
      'IDEMPOTENCY_KEY_REUSED',
      `idempotency key "${idempotencyKey}" was already used for a different request; ` +
        'send the same request to get its first answer, or use a new key for a new request',
    );
  }
}
