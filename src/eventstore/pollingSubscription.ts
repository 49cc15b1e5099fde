import { isDatabaseUnavailable } from './databaseUnavailable.js';
import type { Checkpoint, ReadAllResult, RecordedEvent, Subscription } from './eventStore.js';

/** Backoff while the database is unreachable: from the poll interval, doubling, up to this. */
const UNAVAILABLE_RETRY_MAX_MS = 5000;

export interface PollingSubscriptionOptions {
  readonly from: Checkpoint;
  readonly readAll: (from: Checkpoint, limit: number) => Promise<ReadAllResult>;
  readonly batchSize: number;
  readonly pollIntervalMs: number;
  /** Registers a callback that wakes the subscription early (e.g. LISTEN); returns how to stop. */
  readonly onWake?: (wake: () => void) => Promise<() => Promise<void>>;
}

/**
 * Catches up with readAll, then waits for a wake-up or the poll interval and reads again.
 * Reads always continue from the last delivered checkpoint, so a lost or early notification
 * costs latency, never an event. A read that fails because the database is unreachable (a
 * terminated connection, a restart) is tried again with backoff from the same checkpoint; any
 * other failure ends the subscription with that error.
 */
export function pollingSubscription(options: PollingSubscriptionOptions): Subscription {
  let closed = false;
  let pendingWake = false;
  let wakeWaiter: (() => void) | undefined;
  const wake = () => {
    pendingWake = true;
    wakeWaiter?.();
  };
  const stopListening = options.onWake ? options.onWake(wake).catch(() => undefined) : undefined;

  const sleep = (ms = options.pollIntervalMs) =>
    new Promise<void>((resolve) => {
      if (pendingWake || closed) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeWaiter = undefined;
        resolve();
      }
      wakeWaiter = done;
    });

  async function release() {
    closed = true;
    wakeWaiter?.();
    const stop = await stopListening;
    await stop?.().catch(() => {});
  }

  async function* events(): AsyncGenerator<RecordedEvent> {
    let checkpoint = options.from;
    let retryMs = options.pollIntervalMs;
    await stopListening;
    try {
      while (!closed) {
        pendingWake = false;
        let batch: ReadAllResult;
        try {
          batch = await options.readAll(checkpoint, options.batchSize);
          retryMs = options.pollIntervalMs;
        } catch (error) {
          if (!isDatabaseUnavailable(error)) throw error;
          // A wake-up while the database is away (the LISTEN connection is back) tries at once.
          await sleep(retryMs);
          retryMs = Math.min(UNAVAILABLE_RETRY_MAX_MS, retryMs * 2);
          continue;
        }
        for (const event of batch.events) {
          if (closed) return;
          yield event;
          checkpoint = event.checkpoint;
        }
        if (batch.events.length < options.batchSize) await sleep();
      }
    } finally {
      await release();
    }
  }

  const iterator = events();
  return {
    [Symbol.asyncIterator]: () => iterator,
    close: release,
  };
}
