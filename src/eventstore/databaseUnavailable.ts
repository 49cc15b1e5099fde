/**
 * Whether an error means the database could not be reached or dropped the connection (terminated
 * backend, server restarting, connection refused or reset), as opposed to a refused statement. Such an
 * error says nothing about the request itself: the same request may succeed once the pool has
 * reconnected, so callers retry it (idempotent work) or answer a retryable error.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let cause = error, depth = 0; cause && depth < 5; depth++) {
    if (typeof cause !== 'object') return false;
    const { code, message } = cause as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message)))
      return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

const UNAVAILABLE_CODES = new Set([
  // PostgreSQL: the server ended the session (pg_terminate_backend, shutdown, crash) or cannot accept it yet.
  '57P01',
  '57P02',
  '57P03',
  '53300',
  // The socket: refused, reset or cut while the server restarts.
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

/** node-postgres reports a dropped connection with these messages and no code. */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/,
  /^Client has encountered a connection error and is not queryable/,
  /^timeout exceeded when trying to connect/,
];
