import { v7 as uuidv7, validate as isUuid } from 'uuid';
import { canonicalJson } from './canonicalJson.js';
import { InvalidEventError } from './errors.js';
import type { EventContext, ExpectedVersion, NewEvent, StreamAppend } from './eventStore.js';
import { eventHashOfCanonicalData, type HashedFields } from './hashChain.js';

/** An event with its metadata and hash, ready to be written after a stream head. */
export type PreparedEvent = HashedFields & {
  readonly hash: string;
  /** The canonical JSON text of `data`, kept so it is serialised once per append. */
  readonly dataJson: string;
};

/** Events with ids and timestamps fixed, before they are chained to a stream head. */
export interface StampedEvents {
  readonly streamId: string;
  readonly events: readonly (Omit<HashedFields, 'streamVersion' | 'previousHash'> & {
    readonly dataJson: string;
  })[];
}

/**
 * The longest stream id and idempotency key the store records. Both are indexed, and PostgreSQL refuses an index
 * row over about 2.7 kB: a longer value is refused here with a clear error instead of failing in the database.
 */
export const MAX_STREAM_ID_LENGTH = 512;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;

/** Checks the caller's input and fixes everything that does not depend on the stream head. */
export function stampEvents(
  streamId: string,
  events: readonly NewEvent[],
  expected: ExpectedVersion,
  context: EventContext,
  now: Date = new Date(),
): StampedEvents {
  if (typeof streamId !== 'string' || streamId.trim() === '') {
    throw new InvalidEventError('stream id is empty; pass a non-empty id such as "trainingRun-<uuid>"');
  }
  if (streamId.length > MAX_STREAM_ID_LENGTH) {
    throw new InvalidEventError(
      `stream id "${streamId.slice(0, 40)}..." is ${streamId.length} characters; at most ${MAX_STREAM_ID_LENGTH}`,
    );
  }
  if (!Array.isArray(events) || events.length === 0) {
    throw new InvalidEventError(`append to "${streamId}" has no events; pass at least one`);
  }
  if (!(
    expected === 'no_stream' ||
    expected === 'stream_exists' ||
    expected === 'any' ||
    (Number.isInteger(expected) && (expected as number) >= 0)
  )) {
    throw new InvalidEventError(
      `expected version ${String(expected)} for "${streamId}" is not a version (a whole number >= 0, 'no_stream', 'stream_exists' or 'any')`,
    );
  }
  if (!context || typeof context.actor !== 'string' || context.actor === '') {
    throw new InvalidEventError(`append to "${streamId}" has no actor in its context; say who caused it`);
  }
  const key = context.idempotency?.key;
  if (
    key !== undefined &&
    (typeof key !== 'string' || key === '' || key.length > MAX_IDEMPOTENCY_KEY_LENGTH)
  ) {
    throw new InvalidEventError(
      `idempotency key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters (this one has ${String(key).length})`,
    );
  }
  const recordedAt = now.toISOString();
  const seen = new Set<string>();
  const stamped = events.map((event, index) => {
    const where = `event ${index} of the append to "${streamId}"`;
    if (typeof event.type !== 'string' || event.type === '')
      throw new InvalidEventError(`${where} has no type`);
    const eventId = event.eventId ?? uuidv7();
    if (!isUuid(eventId)) throw new InvalidEventError(`${where}: eventId "${eventId}" is not a UUID`);
    const normalisedId = eventId.toLowerCase();
    if (seen.has(normalisedId)) throw new InvalidEventError(`${where}: eventId ${eventId} appears twice`);
    seen.add(normalisedId);
    const schemaVersion = event.schemaVersion ?? 1;
    if (!Number.isInteger(schemaVersion) || schemaVersion < 1) {
      throw new InvalidEventError(`${where}: schemaVersion must be a whole number >= 1`);
    }
    if (event.data === undefined) throw new InvalidEventError(`${where} (${event.type}) has no data`);
    // Stored data is what canonicalJson accepts, parsed back: the hash is over exactly what we keep.
    const dataJson = canonicalJson(event.data, `${where} (${event.type}) data`);
    const data = JSON.parse(dataJson) as unknown;
    return { eventId: normalisedId, type: event.type, schemaVersion, data, dataJson };
  });
  const correlationId = context.correlationId ?? stamped[0]!.eventId;
  return {
    streamId,
    events: stamped.map((event) => ({
      ...event,
      streamId,
      actor: context.actor,
      correlationId,
      causationId: context.causationId ?? null,
      recordedAt,
    })),
  };
}

/** Chains stamped events after a head (version and hash of the stream's last event). */
export function chainEvents(
  stamped: StampedEvents,
  headVersion: number,
  headHash: string | null,
): PreparedEvent[] {
  let previousHash = headHash;
  return stamped.events.map((event, index) => {
    const fields = { ...event, streamVersion: headVersion + index + 1, previousHash };
    const hash = eventHashOfCanonicalData(fields, event.dataJson);
    previousHash = hash;
    return { ...fields, hash };
  });
}

/** Whether a stream at `actual` satisfies the caller's expectation. */
export function expectationHolds(expected: ExpectedVersion, actual: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === 0;
  if (expected === 'stream_exists') return actual > 0;
  return actual === expected;
}

/** Refuses an appendMany that names a stream twice (its outcome would depend on the order of writing). */
export function refuseRepeatedStreams(appends: readonly StreamAppend[]): void {
  if (!Array.isArray(appends)) throw new InvalidEventError('appendMany takes an array of stream appends');
  const seen = new Set<string>();
  for (const { streamId } of appends) {
    if (seen.has(streamId)) {
      throw new InvalidEventError(
        `appendMany names stream "${streamId}" twice; put all its events in one entry, in order`,
      );
    }
    seen.add(streamId);
  }
}
