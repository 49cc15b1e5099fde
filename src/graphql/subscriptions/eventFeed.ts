import type { Checkpoint, EventStore, RecordedEvent, Subscription } from '../../eventstore/eventStore.js';

export interface EventFeedOptions {
  /** Events a slow client may fall behind before it is cut off (it may resubscribe from its checkpoint). */
  readonly maxQueuedPerClient?: number;
  /** Page size for catching a client up from an old checkpoint. */
  readonly catchUpPageSize?: number;
  /**
   * With no subscriber for this long, the shared subscription is closed, so an idle API does not read back
   * every append (serving's interaction batches among them); the next subscriber reopens it from where it
   * stopped. Default 30 000 ms.
   */
  readonly idleCloseMs?: number;
  readonly onError?: (error: unknown) => void;
}

interface Listener {
  push(event: RecordedEvent): void;
  end(): void;
}

/** Thrown into a client's stream when it fell too far behind the live log. */
export class SubscriberTooSlowError extends Error {
  override readonly name = 'SubscriberTooSlowError';
}

/**
 * One subscription to the event store, fanned out to every GraphQL subscriber. A client that asks
 * for an older checkpoint is caught up from the log with `readAll` and then joins the live fan-out
 * without losing or repeating an event. While nobody listens, the subscription is paused (closed after
 * `idleCloseMs`), and reopened from the end of the log when someone subscribes again.
 */
export class EventFeed {
  private readonly listeners = new Set<Listener>();
  private subscription: Subscription | null = null;
  private pump: Promise<void> | null = null;
  private closed = false;
  private started: Promise<void> | null = null;
  private pausing: Promise<void> | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly maxQueued: number;
  private readonly pageSize: number;

  constructor(
    private readonly store: EventStore,
    private readonly options: EventFeedOptions = {},
  ) {
    this.maxQueued = options.maxQueuedPerClient ?? 10_000;
    this.pageSize = options.catchUpPageSize ?? 500;
  }

  /** Opens the shared subscription (idempotent; the first subscriber does it); resolves once it is live. */
  start(): Promise<void> {
    this.cancelIdleClose();
    if (this.started) return this.started;
    const started = (async () => {
      await this.pausing;
      await this.open();
    })();
    this.started = started;
    // Opening failed (the database unreachable for a moment): this subscriber gets the error, the next one tries again.
    started.catch(() => {
      if (this.started === started) this.started = null;
    });
    return started;
  }

  private async open(): Promise<void> {
    // Live from the end of the log (also when reopened after a pause: what came meanwhile is not live).
    const from = await this.store.head();
    if (this.closed) return;
    const subscription = this.store.subscribe(from);
    this.subscription = subscription;
    this.pump = (async () => {
      try {
        for await (const event of subscription) {
          for (const listener of this.listeners) listener.push(event);
        }
      } catch (error) {
        // (An unreachable database is retried inside the subscription; this is any other failure.)
        if (this.closed || this.subscription !== subscription) return;
        this.options.onError?.(error);
        // End the clients' streams (they resubscribe from their last checkpoint) rather than leave them
        // waiting on a dead subscription, and let the next subscriber open a new one.
        this.subscription = null;
        this.started = null;
        for (const listener of [...this.listeners]) listener.end();
      }
    })();
    if (this.listeners.size === 0) this.scheduleIdleClose();
  }

  private scheduleIdleClose(): void {
    if (this.closed || this.idleTimer) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.listeners.size > 0 || this.closed || !this.started) return;
      const started = this.started;
      this.started = null;
      this.pausing = (async () => {
        await started.catch(() => {});
        const subscription = this.subscription;
        this.subscription = null;
        await subscription?.close();
        await this.pump;
        this.pump = null;
      })();
    }, this.options.idleCloseMs ?? 30_000);
    this.idleTimer.unref();
  }

  private cancelIdleClose(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  /** Whether the shared subscription is open now (it pauses while nobody listens); for tests. */
  get live(): boolean {
    return this.subscription !== null;
  }

  /**
   * The live events from now on, or, with `from`, every event after that checkpoint and then the
   * live ones. A hand-written iterator rather than a generator, so that `return()` (a client
   * unsubscribing) takes effect at once instead of after the next event.
   */
  events(from?: Checkpoint): AsyncIterableIterator<RecordedEvent> {
    const started = this.start();
    const queue: RecordedEvent[] = [];
    let waiting: ((result: IteratorResult<RecordedEvent>) => void) | null = null;
    let finished = false;
    let overflow = false;
    // Join the live fan-out before reading history, so nothing falls between the two; live events
    // that history already delivered are dropped by id.
    let history: { checkpoint: Checkpoint; buffer: RecordedEvent[]; seen: Set<string> } | null =
      from === undefined ? null : { checkpoint: from, buffer: [], seen: new Set() };
    // After catch-up, the shared subscription may still lag behind and deliver events that history
    // already gave (or that precede `from`); checkpoints order like the log, so those are dropped.
    let floor: Checkpoint | null = from ?? null;
    const listener: Listener = {
      push: (event) => {
        if (finished) return;
        if (floor !== null) {
          if (event.checkpoint <= floor) return;
          if (history === null) floor = null; // the pump is past history: no more duplicates
        }
        if (waiting && history === null) {
          const resolve = waiting;
          waiting = null;
          resolve({ done: false, value: event });
        } else if (queue.length >= this.maxQueued) {
          overflow = true;
        } else {
          queue.push(event);
        }
      },
      end: () => {
        finished = true;
        waiting?.({ done: true, value: undefined });
        waiting = null;
      },
    };
    this.listeners.add(listener);
    const finish = (): IteratorResult<RecordedEvent> => {
      finished = true;
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.scheduleIdleClose();
      waiting?.({ done: true, value: undefined });
      waiting = null;
      return { done: true, value: undefined };
    };
    const iterator: AsyncIterableIterator<RecordedEvent> = {
      next: async () => {
        await started;
        while (history !== null && !finished) {
          const buffered = history.buffer.shift();
          if (buffered) return { done: false, value: buffered };
          const page = await this.store.readAll(history.checkpoint, this.pageSize);
          if (page.events.length === 0) {
            const { seen } = history;
            // The shared subscription may still be delivering events from before `from`; checkpoints
            // order like the log (EventStore port), so those are dropped along with the ones seen.
            const fresh = queue.filter((event) => event.checkpoint > from! && !seen.has(event.eventId));
            queue.splice(0, queue.length, ...fresh);
            floor = history.checkpoint;
            history = null;
            break;
          }
          for (const event of page.events) history.seen.add(event.eventId);
          history.buffer.push(...page.events);
          history.checkpoint = page.checkpoint;
        }
        if (finished) return finish();
        if (overflow) {
          finish();
          throw new SubscriberTooSlowError(
            `this subscriber fell more than ${this.maxQueued} events behind; resubscribe with the checkpoint of the last event received`,
          );
        }
        const next = queue.shift();
        if (next) return { done: false, value: next };
        return new Promise<IteratorResult<RecordedEvent>>((resolve) => (waiting = resolve));
      },
      return: async () => finish(),
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  /** How many clients are listening; for tests and metrics. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelIdleClose();
    await this.pausing;
    await this.started?.catch(() => {});
    for (const listener of [...this.listeners]) listener.end();
    this.listeners.clear();
    const subscription = this.subscription;
    this.subscription = null;
    await subscription?.close();
    await this.pump;
  }
}
