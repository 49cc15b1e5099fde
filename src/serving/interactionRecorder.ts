import type { ModelRef } from '../domain/index.js';
import { isDatabaseUnavailable } from '../eventstore/index.js';
import type { FeedbackService } from '../services/index.js';

/** One served exchange, already redacted, as the recorder hands it to the log. */
export interface CapturedInteraction {
  readonly interactionId: string;
  readonly deploymentName: string;
  readonly model: ModelRef;
  readonly prompt: string;
  readonly response: string;
  readonly latencyMs: number;
  readonly tokens: { readonly prompt: number; readonly completion: number };
  readonly meanTokenEntropy?: number;
  readonly filtered?: { readonly stage: 'input' | 'output'; readonly rule: string };
  /** The API token's actor, stamped into the event. */
  readonly actor: string;
  /** The end user the request named (OpenAI's `user`): the data subject; absent, the actor is. */
  readonly subjectId?: string;
}

export interface InteractionRecorderOptions {
  /** Interactions held in memory at most; past this, new ones are dropped and counted (default 10 000). */
  readonly maxBuffered?: number;
  /** Interactions written per append to the log, at most (default 64). */
  readonly batchSize?: number;
  /**
   * How long an interaction may wait for its flush (default 100 ms). Longer means bigger batches, so fewer
   * appends (and the NOTIFY and subscription reads each one causes) share the request thread; POST
   * /v1/feedback flushes its interaction at once.
   */
  readonly flushMs?: number;
  /** Batches in flight at once (default 2). */
  readonly concurrency?: number;
  readonly onDropped?: (count: number, reason: string) => void;
}

type Sink = Pick<FeedbackService, 'recordInteractions'>;

/** Backoff of the flush loop while the database is unreachable: doubling from the first, up to the max. */
const UNAVAILABLE_RETRY_FIRST_MS = 100;
const UNAVAILABLE_RETRY_MAX_MS = 5000;

/**
 * Records InteractionRecorded events off the request path: requests only push into a buffer; a flush
 * loop writes them in batches, each batch one multi-stream append to the log (one small stream per
 * interaction, idempotent by interaction id). While the database is unreachable a batch goes back to the
 * front of the buffer and is written again later (its idempotency keys make a repeat harmless); only a
 * refused interaction, a full buffer or closing during an outage drops one.
 */
export class InteractionRecorder {
  private buffer: CapturedInteraction[] = [];
  private readonly waiting = new Map<string, { promise: Promise<void>; resolve(): void }>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;
  /** > 0 while the database is unreachable: how long the flush loop waits before trying again. */
  private retryMs = 0;
  private readonly maxBuffered: number;
  private readonly batchSize: number;
  private readonly flushMs: number;
  private readonly concurrency: number;
  recorded = 0;
  dropped = 0;

  constructor(
    private readonly sink: Sink,
    private readonly options: InteractionRecorderOptions = {},
  ) {
    this.maxBuffered = options.maxBuffered ?? 10_000;
    this.batchSize = options.batchSize ?? 64;
    this.flushMs = options.flushMs ?? 100;
    this.concurrency = options.concurrency ?? 2;
  }

  /** Queues an interaction; never waits on the log. */
  record(interaction: CapturedInteraction): void {
    if (this.closed || this.buffer.length >= this.maxBuffered) {
      this.drop(1, this.closed ? 'the recorder is closed' : 'the capture buffer is full');
      return;
    }
    this.buffer.push(interaction);
    if (this.retryMs > 0)
      this.schedule(this.retryMs); // the database is away: wait for the retry
    else if (this.buffer.length >= this.batchSize) this.schedule(0);
    else this.schedule(this.flushMs);
  }

  /** Resolves once the interaction is in the log (at once when it was never queued here or already written). */
  whenRecorded(interactionId: string): Promise<void> {
    if (!this.buffer.some((i) => i.interactionId === interactionId) && !this.waiting.has(interactionId)) {
      return Promise.resolve();
    }
    this.schedule(0);
    return this.waiter(interactionId).promise;
  }

  /** Writes everything buffered now. */
  async flush(): Promise<void> {
    while (this.buffer.length > 0 || this.flushing) {
      if (this.flushing) await this.flushing;
      else {
        if (this.retryMs > 0) await new Promise((resolve) => setTimeout(resolve, this.retryMs));
        await this.flushOnce();
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.flush();
  }

  private schedule(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flushOnce();
    }, delayMs);
    this.timer.unref?.();
  }

  private flushOnce(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.buffer.length === 0) return Promise.resolve();
    this.flushing = (async () => {
      let unavailable = false;
      try {
        const lane = async () => {
          while (this.buffer.length > 0 && !unavailable) {
            if (await this.append(this.buffer.splice(0, this.batchSize))) unavailable = true;
          }
        };
        await Promise.all(Array.from({ length: this.concurrency }, lane));
      } finally {
        this.flushing = undefined;
      }
      if (unavailable) {
        this.retryMs = Math.min(
          UNAVAILABLE_RETRY_MAX_MS,
          Math.max(UNAVAILABLE_RETRY_FIRST_MS, this.retryMs * 2),
        );
        this.schedule(this.retryMs);
      } else this.retryMs = 0;
    })();
    return this.flushing;
  }

  /** Writes a batch; true when the database was unreachable (what it could not write is back in the buffer). */
  private async append(batch: readonly CapturedInteraction[]): Promise<boolean> {
    for (const interaction of batch) this.waiter(interaction.interactionId);
    let outcomes: PromiseSettledResult<unknown>[];
    try {
      outcomes = await this.sink.recordInteractions(
        batch.map(({ actor, ...input }) => ({
          input,
          context: { actor, idempotencyKey: `interaction:${input.interactionId}` },
        })),
      );
    } catch (error) {
      outcomes = batch.map(() => ({ status: 'rejected', reason: error }));
    }
    const retry: CapturedInteraction[] = [];
    outcomes.forEach((outcome, index) => {
      const { interactionId } = batch[index]!;
      if (outcome.status === 'fulfilled') this.recorded++;
      else if (isDatabaseUnavailable(outcome.reason) && !this.closed) {
        retry.push(batch[index]!);
        return; // still waited for
      } else {
        const reason = (outcome.reason as Error | undefined)?.message ?? String(outcome.reason);
        this.drop(1, `the log refused interaction ${interactionId}: ${reason}`);
      }
      this.waiting.get(interactionId)?.resolve();
      this.waiting.delete(interactionId);
    });
    this.buffer.unshift(...retry);
    return retry.length > 0;
  }

  private waiter(interactionId: string) {
    let entry = this.waiting.get(interactionId);
    if (!entry) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      entry = { promise, resolve };
      this.waiting.set(interactionId, entry);
    }
    return entry;
  }

  private drop(count: number, reason: string): void {
    this.dropped += count;
    this.options.onDropped?.(count, reason);
  }
}
