import * as crypto from 'node:crypto';
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
  return sha256Hex(canonicalJson(fields, 'event'));
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
  return sha256Hex(text);
}

/** crypto.hash where Node has it (20.12+): one call, no Hash object per event. */
const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text).digest('hex');

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

/** What a stream's chain needs of an event to check its place in it. */
export interface ChainLink {
  readonly streamVersion: number;
  readonly previousHash: string | null;
  readonly hash: string;
}

/**
 * Walks one stream's events in version order: each must be the next version, and name its predecessor's
 * hash as its previousHash. Whether each hash matches its event's content is checked apart (eventHash).
 */
export class StreamChainCursor {
  private lastHash: string | null = null;
  private lastVersion = 0;

  /** The version of the last event that followed its predecessor (0 before any). */
  get version(): number {
    return this.lastVersion;
  }

  /** The hash of that event (null before any). */
  get hash(): string | null {
    return this.lastHash;
  }

  /** Why the event does not follow the events before it, or undefined when it does. */
  follow(link: ChainLink): string | undefined {
    const expectedVersion = this.lastVersion + 1;
    if (link.streamVersion !== expectedVersion) {
      return `version ${expectedVersion} is missing (found ${link.streamVersion})`;
    }
    if (link.previousHash !== this.lastHash) {
      return `previousHash does not match the hash of version ${expectedVersion - 1}`;
    }
    this.lastHash = link.hash;
    this.lastVersion = expectedVersion;
    return undefined;
  }
}

/** Recomputes a stream's chain (events in version order, from version 1). */
export function verifyChain(streamId: string, events: readonly RecordedEvent[]): VerifyResult {
  const cursor = new StreamChainCursor();
  for (const event of events) {
    const expectedVersion = cursor.version + 1;
    const broken = (reason: string): VerifyResult => ({
      ok: false,
      streamId,
      eventsChecked: expectedVersion,
      firstBrokenVersion: expectedVersion,
      reason,
    });
    const unlinked = cursor.follow({
      streamVersion: event.streamVersion,
      previousHash: event.metadata.previousHash,
      hash: event.metadata.hash,
    });
    if (unlinked) return broken(unlinked);
    let recomputed: string;
    try {
      recomputed = eventHash(hashedFieldsOf(event));
    } catch (error) {
      return broken(`content cannot be hashed: ${(error as Error).message}`);
    }
    if (recomputed !== event.metadata.hash) {
      return broken(`hash does not match the event's content (event ${event.eventId} was altered)`);
    }
  }
  return { ok: true, streamId, eventsChecked: events.length };
}
