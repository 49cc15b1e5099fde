import { domainErrorKinds, type DomainErrorCode, type DomainErrorKind } from './domainErrorCodes.js';

/**
 * A business rule refused a command. `code` is stable (callers and GraphQL map on it); the message
 * says what was wrong and what to do, so it can be shown to a person as is.
 */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  /** What sort of refusal this is (domainErrorCodes.ts): how an API answers it. */
  readonly kind: DomainErrorKind;

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.kind = domainErrorKinds[code];
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

/** Throws a DomainError unless the condition holds; keeps decide functions flat. */
export function ensure(
  condition: unknown,
  code: DomainErrorCode,
  message: string,
  details?: Readonly<Record<string, unknown>>,
): asserts condition {
  if (!condition) throw new DomainError(code, message, details);
}

/** Exhaustiveness check for switches over discriminated unions. */
export function assertNever(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}
