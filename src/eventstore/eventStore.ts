/**
 * The EventStore port. Adapters (PostgreSQL/PGlite, EventStoreDB) implement it and pass one
 * contract suite (test/eventstore/contract.ts).
 */

/** How the caller expects the stream to be before an append. A number is the stream's current
 * version, i.e. the number of events in it (0 is the same as 'no_stream'). */
export type ExpectedVersion = number | 'no_stream' | 'stream_exists' | 'any';

/** Who caused an event and why; stamped into every event's metadata. */
export interface EventContext {
  readonly actor: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  /**
   * The request's idempotency key and the fingerprint (a hash of its canonical payload) to keep with it,
   * in the same transaction as the events. An append under a key already kept with another fingerprint is
   * refused with IdempotencyKeyReusedError; one under the same fingerprint goes ahead (its deterministic
   * event ids make a repeat a no-op). Stores without `idempotencyFingerprint` ignore it.
   */
  readonly idempotency?: { readonly key: string; readonly fingerprint: string };
}

/** An event as the caller hands it to append. */
export interface NewEvent {
  /** UUID; generated (v7) when absent. A deterministic id makes a retried append a no-op. */
  readonly eventId?: string;
  readonly type: string;
  readonly schemaVersion?: number;
  readonly data: unknown;
}

export interface EventMetadata {
  readonly actor: string;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly recordedAt: string;
  readonly previousHash: string | null;
  readonly hash: string;
}

/** Opaque, totally ordered position in the global log, as a string; START is before everything. */
export type Checkpoint = string;
export const START: Checkpoint = '';

export interface RecordedEvent<Data = unknown> {
  readonly eventId: string;
  readonly streamId: string;
  /** 1-based: the first event of a stream has version 1. */
  readonly streamVersion: number;
  /** The checkpoint just after this event: reading from it continues with the next event. */
  readonly checkpoint: Checkpoint;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: Data;
  readonly metadata: EventMetadata;
}

/** One stream's part of an `appendMany`: the arguments `append` takes for that stream. */
export interface StreamAppend {
  readonly streamId: string;
  readonly events: readonly NewEvent[];
  readonly expected: ExpectedVersion;
  readonly context: EventContext;
}

export interface AppendResult {
  /** The stream's version after the append. */
  readonly nextExpectedVersion: number;
  readonly events: readonly RecordedEvent[];
  /**
   * True when these event ids were already recorded, so the events returned are the earlier append's
   * (a retry, or a concurrent duplicate). Stores that cannot tell leave it out.
   */
  readonly duplicate?: boolean;
}

export interface ReadAllOptions {
  /** Only events of these types. */
  readonly types?: readonly string[];
}

export interface ReadStreamOptions {
  /** First stream version to read (inclusive) going forwards, or last going backwards. */
  readonly from?: number;
  readonly direction?: 'forwards' | 'backwards';
  readonly limit?: number;
}

export interface ReadAllResult {
  readonly events: readonly RecordedEvent[];
  /** Where to continue from; equals the input checkpoint when nothing new was visible. */
  readonly checkpoint: Checkpoint;
}

export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly streamId: string;
  readonly eventsChecked: number;
  /** The first event whose hash does not match its content or its predecessor. */
  readonly firstBrokenVersion?: number;
  readonly reason?: string;
}

export interface EventStore {
  append(
    streamId: string,
    events: readonly NewEvent[],
    expected: ExpectedVersion,
    context: EventContext,
  ): Promise<AppendResult>;
  /**
   * Appends to several streams at once, in one round trip where the backend allows it. Each stream's
   * append is atomic and independent of the others: its outcome, in the order given, is what `append`
   * would have returned or thrown for that stream alone (same expected-version, hash-chain and
   * idempotency rules), and a refused one leaves the others written. A stream named twice is refused
   * with InvalidEventError before anything is written.
   */
  appendMany(appends: readonly StreamAppend[]): Promise<PromiseSettledResult<AppendResult>[]>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<readonly RecordedEvent[]>;
  /**
   * Up to `limit` events after `from`, in checkpoint order. With `types`, only events of those types
   * (skipped where the log is stored, not after reading); `checkpoint` is then the last one returned.
   */
  readAll(from: Checkpoint, limit: number, options?: ReadAllOptions): Promise<ReadAllResult>;
  /**
   * The checkpoint of the newest event `readAll` can return now ('' for an empty log), without reading the
   * log: subscribing or reading from it gives only what comes after.
   */
  head(): Promise<Checkpoint>;
  /** Catches up from the checkpoint, then stays live until closed. */
  subscribe(from: Checkpoint): Subscription;
  verify(streamId: string): Promise<VerifyResult>;
  /**
   * The fingerprint kept with an idempotency key by an append (EventContext.idempotency), or undefined
   * when the key was never kept. Optional: a store without it keeps no fingerprints (EventStoreDB).
   */
  idempotencyFingerprint?(key: string): Promise<string | undefined>;
  /**
   * A store that decodes what it reads (the crypto-shredding wrapper) names the store beneath it, whose
   * events are exactly as stored: hash chains are verified on those, never on decoded data.
   */
  readonly stored?: EventStore;
  /** Decodes events read from `stored` as this store's own reads would (present with `stored`). */
  decode?(events: readonly RecordedEvent[]): Promise<RecordedEvent[]>;
  close(): Promise<void>;
}

/** Reading streams only: what a worker with no database gets through the API. */
export type StreamReader = Pick<EventStore, 'readStream'>;
