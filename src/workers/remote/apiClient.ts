import { setTimeout as sleep } from 'node:timers/promises';
import { DomainError, domainErrorKinds, type DomainErrorCode } from '../../domain/index.js';
import { userErrorsOf } from '../../client/userErrors.js';
import type { WorkerLog } from '../runtime/runWorker.js';

export interface ApiClientOptions {
  /** The platform's base URL, e.g. https://tuneledger.example.com (GraphQL at /graphql). */
  readonly url: string;
  /** A `worker` token: its actor is the worker id. */
  readonly token: string;
  /** Backoff before the first retry (default 1 s), doubled each time up to maxBackoffMs (default 30 s). */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** How long one call keeps retrying an unreachable API before it fails (default 10 minutes). */
  readonly retryForMs?: number;
  readonly log?: WorkerLog;
}

/** An answer of the API that no retry changes: a refusal with its code (`extensions.code`, or the HTTP status). */
export class ApiRequestError extends Error {
  override readonly name = 'ApiRequestError';
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The API is away (refused, reset, 502/503/504, its database down): retried with backoff. */
class TransientError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

interface GraphqlAnswer<T> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

const TRANSIENT_STATUS = new Set([502, 503, 504]);
const TRANSIENT_CODES = new Set(['DATABASE_UNAVAILABLE', 'RATE_LIMITED']);

/**
 * The worker's line to the platform: GraphQL at /graphql and the artifact routes, with the worker token. A
 * call that meets a lost connection (or 502/503/504, or a database outage) is sent again, unchanged, after
 * a backoff of 1 s doubling to 30 s: mutations carry their idempotencyKey, so a retry records nothing twice.
 * Refusals are not retried: a domain refusal (a payload's `userErrors`, or a FORBIDDEN error with a
 * domainCode) comes back as the DomainError the services would have thrown, anything else as ApiRequestError.
 */
export class ApiClient {
  readonly baseUrl: URL;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly retryForMs: number;

  constructor(private readonly options: ApiClientOptions) {
    try {
      this.baseUrl = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
    } catch {
      throw new Error(
        `--api "${options.url}" is not a URL; give the platform's address, e.g. http://host:4000`,
      );
    }
    if (options.token.trim() === '') throw new Error('a worker token is needed: --token TOKEN');
    this.initialBackoffMs = options.initialBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.retryForMs = options.retryForMs ?? 600_000;
  }

  url(path: string): URL {
    return new URL(path.replace(/^\//, ''), this.baseUrl);
  }

  get authorization(): string {
    return `Bearer ${this.options.token}`;
  }

  /** Runs one GraphQL operation; retried while the API is away. */
  async graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    return this.withRetry(`GraphQL ${operationName(query)}`, async () => {
      const response = await this.send(this.url('graphql'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: this.authorization },
        body: JSON.stringify({ query, variables }),
      });
      if (TRANSIENT_STATUS.has(response.status)) {
        throw new TransientError(`HTTP ${response.status}`, retryAfterMs(response));
      }
      const text = await response.text();
      let answer: GraphqlAnswer<T>;
      try {
        answer = JSON.parse(text) as GraphqlAnswer<T>;
      } catch {
        throw new ApiRequestError(
          `the API answered HTTP ${response.status} with something other than GraphQL: ${text.slice(0, 200)}`,
          'BAD_RESPONSE',
          response.status,
        );
      }
      const error = answer.errors?.[0];
      if (error) throw toError(error, response);
      if (answer.data === undefined) {
        throw new ApiRequestError('the API answered with neither data nor errors', 'BAD_RESPONSE', 200);
      }
      const [refusal] = userErrorsOf(answer.data);
      if (refusal) throw toDomainError(refusal.code, refusal.message, refusal.details ?? {}, response);
      return answer.data;
    });
  }

  /**
   * An HTTP request to the artifact routes, retried while the API is away. `init` is called for each
   * attempt, so a streamed body is opened again for a retry.
   */
  async http(what: string, path: string, init: () => RequestInit): Promise<Response> {
    return this.request(what, this.url(path), () => {
      const request = init();
      return {
        ...request,
        headers: { authorization: this.authorization, ...(request.headers as Record<string, string>) },
      };
    });
  }

  /**
   * An HTTP request to a URL the API handed out (a presigned upload URL of the artifact store), without the
   * worker token, which is the API's and not the store's; retried while the store is away, like `http`.
   */
  async handedOut(what: string, url: string, init: () => RequestInit): Promise<Response> {
    return this.request(what, new URL(url), init);
  }

  private async request(what: string, url: URL, init: () => RequestInit): Promise<Response> {
    return this.withRetry(what, async () => {
      const response = await this.send(url, init());
      if (TRANSIENT_STATUS.has(response.status)) {
        await response.body?.cancel();
        throw new TransientError(`HTTP ${response.status}`, retryAfterMs(response));
      }
      if (response.status === 429) {
        await response.body?.cancel();
        throw new TransientError('HTTP 429 (rate limited)', retryAfterMs(response));
      }
      return response;
    });
  }

  private async send(url: URL, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, init);
    } catch (error) {
      // fetch throws only when no answer came: refused, reset, DNS, TLS. All worth another try.
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new TransientError(
        `${(error as Error).message} (${cause?.code ?? cause?.message ?? 'no answer'})`,
      );
    }
  }

  private async withRetry<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    const started = Date.now();
    let backoff = this.initialBackoffMs;
    for (let tries = 1; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof TransientError)) throw error;
        const waited = Date.now() - started;
        if (waited >= this.retryForMs) {
          throw new ApiRequestError(
            `${what}: the API at ${this.baseUrl.origin} stayed unreachable for ${Math.round(waited / 1000)} s (${error.message})`,
            'UNREACHABLE',
            0,
          );
        }
        const delay = Math.min(error.retryAfterMs ?? backoff, this.maxBackoffMs);
        this.options.log?.warn('the API is unreachable; retrying', {
          what,
          tries,
          retryInMs: delay,
          error: error.message,
        });
        await sleep(delay);
        backoff = Math.min(backoff * 2, this.maxBackoffMs);
      }
    }
  }
}

function operationName(query: string): string {
  return /^\s*(?:query|mutation)\s+(\w+)/.exec(query)?.[1] ?? 'operation';
}

function retryAfterMs(response: Response): number | undefined {
  const seconds = Number(response.headers.get('retry-after'));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

function toError(
  error: { message: string; extensions?: Record<string, unknown> },
  response: Response,
): Error {
  const { code, domainCode, ...details } = error.extensions ?? {};
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) {
    const seconds = Number(details['retryAfterSeconds']);
    return new TransientError(
      `${code}: ${error.message}`,
      Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : retryAfterMs(response),
    );
  }
  if (typeof domainCode === 'string') return toDomainError(domainCode, error.message, details, response);
  return new ApiRequestError(error.message, typeof code === 'string' ? code : 'UNKNOWN', response.status);
}

/** A domain refusal the API answered, as the DomainError the services throw (a code this build lacks: as it is). */
function toDomainError(
  code: string,
  message: string,
  details: Readonly<Record<string, unknown>>,
  response: Response,
): Error {
  return code in domainErrorKinds
    ? new DomainError(code as DomainErrorCode, message, details)
    : new ApiRequestError(`${code}: ${message}`, code, response.status);
}
