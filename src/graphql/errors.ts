import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import { ZodError } from 'zod';
import { DomainError, type DomainErrorKind } from '../domain/index.js';
import {
  IdempotencyConflictError,
  IdempotencyKeyReusedError,
  InvalidEventError,
  WrongExpectedVersionError,
  isDatabaseUnavailable,
} from '../eventstore/index.js';
import { ConcurrencyConflictError } from '../services/index.js';
import { InvalidTokenError } from './auth/tokenStore.js';

/** The codes a client can meet in `extensions.code`. */
export type ApiErrorCode =
  | 'BAD_USER_INPUT'
  | 'FORBIDDEN'
  | 'UNAUTHENTICATED'
  | 'CONFLICT'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'NOT_FOUND'
  | 'DATABASE_UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'RATE_LIMITED'
  | 'INTERNAL_SERVER_ERROR';

/** Seconds a client is asked to wait before retrying a request the database could not serve. */
export const DATABASE_RETRY_AFTER_SECONDS = 1;

/** The HTTP status a REST route answers an API code with (GraphQL keeps 200 and puts the code in extensions). */
export function httpStatusForCode(code: string): number {
  switch (code) {
    case 'UNAUTHENTICATED':
      return 401;
    case 'FORBIDDEN':
      return 403;
    case 'NOT_FOUND':
      return 404;
    case 'CONFLICT':
    case 'IDEMPOTENCY_KEY_REUSED':
      return 409;
    case 'RATE_LIMITED':
      return 429;
    case 'DATABASE_UNAVAILABLE':
      return 503;
    case 'INTERNAL_SERVER_ERROR':
      return 500;
    case 'DEADLINE_EXCEEDED':
      return 504;
    default:
      return 400;
  }
}

export function apiError(
  code: ApiErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

export const notFound = (message: string) => apiError('NOT_FOUND', message);
export const forbidden = (message: string) => apiError('FORBIDDEN', message);
export const badInput = (message: string, extensions?: Record<string, unknown>) =>
  apiError('BAD_USER_INPUT', message, extensions);

/** How each kind of domain refusal (domainErrorCodes.ts) is answered. */
const codeForDomainKind: Record<DomainErrorKind, ApiErrorCode> = {
  invalid: 'BAD_USER_INPUT',
  'not-found': 'NOT_FOUND',
  forbidden: 'FORBIDDEN',
  conflict: 'CONFLICT',
};

function describeZodError(error: ZodError, where: string | undefined): string {
  const problems = error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : (where ?? 'input');
    return `${path}: ${issue.message}`;
  });
  return `invalid input - ${problems.join('; ')}`;
}

/**
 * Maps whatever a resolver threw to an error a client can act on. Errors that are not ours to
 * explain (bugs, a lost database) become INTERNAL_SERVER_ERROR with the message hidden, and go to
 * the log through `onInternal`.
 */
export function toApiError(
  error: unknown,
  onInternal: (error: unknown) => void = () => {},
): { code: ApiErrorCode; message: string; extensions?: Record<string, unknown> } {
  if (error instanceof GraphQLError) {
    if (error.originalError && !(error.originalError instanceof GraphQLError)) {
      return toApiError(error.originalError, onInternal);
    }
    const { code, http: _http, stacktrace: _stacktrace, ...rest } = error.extensions ?? {};
    if (typeof code === 'string')
      return { code: code as ApiErrorCode, message: error.message, extensions: rest };
    // A GraphQLError without a code is graphql-js telling the client its document is wrong.
    return { code: 'BAD_USER_INPUT', message: error.message };
  }
  if (error instanceof ZodError) {
    return {
      code: 'BAD_USER_INPUT',
      message: describeZodError(error, undefined),
      extensions: {
        issues: error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })),
      },
    };
  }
  if (error instanceof InvalidTokenError) return { code: 'UNAUTHENTICATED', message: error.message };
  if (error instanceof WrongExpectedVersionError) {
    return {
      code: 'CONFLICT',
      message: `${error.message} (someone else changed it at the same time: read it again and retry)`,
      extensions: { streamId: error.streamId, actualVersion: error.actual, retryable: true },
    };
  }
  if (error instanceof ConcurrencyConflictError) {
    return {
      code: 'CONFLICT',
      message: error.message,
      extensions: { streamId: error.streamId, retryable: true },
    };
  }
  if (error instanceof IdempotencyKeyReusedError) {
    return {
      code: 'IDEMPOTENCY_KEY_REUSED',
      message: error.message,
      extensions: { idempotencyKey: error.idempotencyKey },
    };
  }
  if (error instanceof IdempotencyConflictError) {
    return {
      code: 'CONFLICT',
      message: `${error.message}; use a new idempotencyKey for a different request`,
    };
  }
  if (error instanceof InvalidEventError) return { code: 'BAD_USER_INPUT', message: error.message };
  if (isDatabaseUnavailable(error)) {
    // Nothing is known to be wrong with the request: a mutation retried with the same idempotencyKey
    // is recorded once, whether or not this attempt reached the log.
    onInternal(error);
    return {
      code: 'DATABASE_UNAVAILABLE',
      message:
        'the database is unreachable for the moment; retry the request (a mutation with the same idempotencyKey)',
      extensions: { retryable: true, retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS },
    };
  }
  if (error instanceof DomainError) {
    return {
      code: codeForDomainKind[error.kind],
      message: error.message,
      extensions: { domainCode: error.code, ...error.details },
    };
  }
  onInternal(error);
  return { code: 'INTERNAL_SERVER_ERROR', message: 'internal error; the server log has the details' };
}

/** Apollo's and graphql-ws's error formatting both end here, so both transports agree. */
export function formatApiError(
  formatted: GraphQLFormattedError,
  error: unknown,
  onInternal?: (error: unknown) => void,
): GraphQLFormattedError {
  const mapped = toApiError(error, onInternal);
  return {
    message: mapped.message,
    locations: formatted.locations,
    path: formatted.path,
    extensions: { ...mapped.extensions, code: mapped.code },
  };
}
