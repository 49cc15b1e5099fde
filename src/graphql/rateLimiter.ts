export interface RateLimit {
  /** Requests a caller may make per second, sustained (the bucket's refill rate). */
  readonly requestsPerSecond: number;
  /** Requests a caller may make at once after being idle (the bucket's size). */
  readonly burst: number;
}

export const defaultRateLimit: RateLimit = { requestsPerSecond: 100, burst: 200 };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** A request takes one token, plus one for each full this many bytes of its body. */
export const bytesPerToken = 16 * 1024;

/** Tokens a request of `bodyBytes` takes: parsing and refusing a large document is work too. */
export function tokensFor(bodyBytes: number): number {
  return 1 + Math.floor(bodyBytes / bytesPerToken);
}

/**
 * A document refused before it runs (HTTP 400) costs this many times its tokens: parsing, validating
 * and pricing it was work for nobody. A 180 KB document of 2000 aliases then costs 240 tokens, so its
 * sender waits about 2.4 s before the next; a mistyped query of a few KB, 20 tokens (0.2 s).
 */
export const refusedDocumentFactor = 20;

/**
 * An audit report through GET /reports costs this many tokens: building one reads every involved stream
 * and re-checks its chain (hundreds of milliseconds for a large history), while a GraphQL request is
 * answered from the response cache or priced by its own cost limit. With the default limit a caller
 * may download 10 reports a second, 20 at once.
 */
export const reportTokens = 10;

/** What a caller told to wait reads (the wait is also in the Retry-After header). */
export function rateLimitMessage(waitSeconds: number): string {
  return `too many requests: this caller's rate limit is spent; retry in ${waitSeconds} s (Retry-After)`;
}

/** Buckets kept before full ones (callers idle long enough to have refilled) are dropped. */
const sweepAbove = 10_000;

/**
 * Token buckets by caller (an API token's id, or the client address in local mode): each request
 * takes one token (more for large bodies, see tokensFor), and tokens come back at
 * `requestsPerSecond` up to `burst`. A caller that empties its bucket is told how long to wait
 * instead of taking time from the others; one whose documents are refused pays for them (charge).
 */
export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Takes `tokens` (at most the burst) for `caller`: 0 when the request may go on, else the whole
   * seconds until enough are back.
   */
  take(caller: string, tokens = 1): number {
    const wanted = Math.min(tokens, this.limit.burst);
    const now = this.now();
    let bucket = this.#buckets.get(caller);
    if (!bucket) {
      if (this.#buckets.size >= sweepAbove) this.#sweep(now);
      bucket = { tokens: this.limit.burst, updatedAt: now };
      this.#buckets.set(caller, bucket);
    }
    const refilled = ((now - bucket.updatedAt) / 1000) * this.limit.requestsPerSecond;
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + refilled);
    bucket.updatedAt = now;
    if (bucket.tokens >= wanted) {
      bucket.tokens -= wanted;
      return 0;
    }
    return Math.max(1, Math.ceil((wanted - bucket.tokens) / this.limit.requestsPerSecond));
  }

  /**
   * Takes `tokens` more from `caller` after the fact (a refused document), into debt down to minus
   * the burst: the caller then waits until the bucket is back above zero.
   */
  charge(caller: string, tokens: number): void {
    const bucket = this.#buckets.get(caller);
    if (!bucket || tokens <= 0) return;
    bucket.tokens = Math.max(-this.limit.burst, bucket.tokens - tokens);
  }

  #sweep(now: number): void {
    for (const [caller, bucket] of this.#buckets) {
      const refilled = ((now - bucket.updatedAt) / 1000) * this.limit.requestsPerSecond;
      if (bucket.tokens + refilled >= this.limit.burst) this.#buckets.delete(caller);
    }
  }
}
