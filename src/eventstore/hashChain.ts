import { createHash } from 'node:crypto';
import { canonicalJson } from './canonicalJson.js';
import type { RecordedEvent, VerifyResult } from './eventStore.js';

/** The fields an event's hash covers: everything recorded about it except its global position. */
export interface HashedFields {
  readonly eventId: string;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
  readonly actor: string;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly recordedAt: string;
  readonly previousHash: string | null;
}

/** sha256 (hex) over the canonical JSON of the event and its predecessor's hash. */
export function eventHash(fields: HashedFields): string {
  return createHash('sha256').update(canonicalJson(fields, 'event')).digest('hex');
}

/**
 * The same hash as eventHash, for an event whose data is already canonical JSON text: the text is
 * assembled with the keys in sorted order instead of serialising the data a second time.
 */
export function eventHashOfCanonicalData(fields: HashedFields, dataJson: string): string {
  const text =
    `{"actor":${JSON.stringify(fields.actor)},"causationId":${JSON.stringify(fields.causationId)},` +
    `"correlationId":${JSON.stringify(fields.correlationId)},"data":${dataJson},` +
    `"eventId":${JSON.stringify(fields.eventId)},"previousHash":${JSON.stringify(fields.previousHash)},` +
    `"recordedAt":${JSON.stringify(fields.recordedAt)},"schemaVersion":${fields.schemaVersion},` +
    `"streamId":${JSON.stringify(fields.streamId)},"streamVersion":${fields.streamVersion},` +
    `"type":${JSON.stringify(fields.type)}}`;
  return createHash('sha256').update(text).digest('hex');
}

export function hashedFieldsOf(event: RecordedEvent): HashedFields {
  return {
    eventId: event.eventId,
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data,
    actor: event.metadata.actor,
    correlationId: event.metadata.correlationId,
    causationId: event.metadata.causationId,
    recordedAt: event.metadata.recordedAt,
    previousHash: event.metadata.previousHash,
  };
}

/** Recomputes a stream's chain (events in version order, from version 1). */
export function verifyChain(streamId: string, events: readonly RecordedEvent[]): VerifyResult {
  let previousHash: string | null = null;
  let expectedVersion = 1;
  for (const event of events) {
    const broken = (reason: string): VerifyResult => ({
      ok: false,
      streamId,
      eventsChecked: expectedVersion,
      firstBrokenVersion: expectedVersion,
      reason,
    });
    if (event.streamVersion !== expectedVersion) {
      return broken(`version ${expectedVersion} is missing (found ${event.streamVersion})`);
    }
    if (event.metadata.previousHash !== previousHash) {
      return broken(`previousHash does not match the hash of version ${expectedVersion - 1}`);
    }
    let recomputed: string;
    try {
      recomputed = eventHash(hashedFieldsOf(event));
    } catch (error) {
      return broken(`content cannot be hashed: ${(error as Error).message}`);
    }
    if (recomputed !== event.metadata.hash) {
      return broken(`hash does not match the event's content (event ${event.eventId} was altered)`);
    }
    previousHash = event.metadata.hash;
    expectedVersion += 1;
  }
  return { ok: true, streamId, eventsChecked: events.length };
}
