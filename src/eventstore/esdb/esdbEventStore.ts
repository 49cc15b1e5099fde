import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START as ESDB_START,
  StreamNotFoundError,
  WrongExpectedVersionError as EsdbWrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  type AppendExpectedRevision,
  type JSONType,
  type Position,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { IdempotencyConflictError, InvalidEventError, WrongExpectedVersionError } from '../errors.js';
import type {
  AppendResult,
  Checkpoint,
  EventContext,
  EventStore,
  ExpectedVersion,
  NewEvent,
  ReadAllOptions,
  ReadAllResult,
  ReadStreamOptions,
  RecordedEvent,
  StreamAppend,
  Subscription,
  VerifyResult,
} from '../eventStore.js';
import { verifyChain } from '../hashChain.js';
import { chainEvents, expectationHolds, refuseRepeatedStreams, stampEvents } from '../prepareEvents.js';

/** What we keep in an EventStoreDB event's metadata (its data is the event's data). */
interface StoredMetadata {
  readonly schemaVersion: number;
  readonly actor: string;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly recordedAt: string;
  readonly previousHash: string | null;
  readonly hash: string;
}

/** How far back a retried append is looked for: EventStoreDB has no index by event id. */
const IDEMPOTENCY_WINDOW = 100;
const MAX_RETRIES = 20;

/**
 * The event store on EventStoreDB/KurrentDB. Stream versions are EventStoreDB revisions + 1;
 * checkpoints are the $all position (commit:prepare, zero-padded so strings order like positions);
 * system streams and events ($...) are left out of readAll and subscriptions.
 */
export class EsdbEventStore implements EventStore {
  private constructor(private readonly client: EventStoreDBClient) {}

  /** `esdb://host:2113?tls=false` and the other forms EventStoreDBClient.connectionString accepts. */
  static connect(connectionString: string): EsdbEventStore {
    return new EsdbEventStore(EventStoreDBClient.connectionString(connectionString));
  }

  async append(
    streamId: string,
    events: readonly NewEvent[],
    expected: ExpectedVersion,
    context: EventContext,
  ): Promise<AppendResult> {
    const stamped = stampEvents(streamId, events, expected, context);
    const ids = new Set(stamped.events.map((event) => event.eventId));
    for (let attempt = 0; attempt < MAX_RETRIES; attempt += 1) {
      const recent = await this.readStream(streamId, { direction: 'backwards', limit: IDEMPOTENCY_WINDOW });
      const known = recent.filter((event) => ids.has(event.eventId)).reverse();
      if (known.length === ids.size) {
        return { nextExpectedVersion: known[known.length - 1]!.streamVersion, events: known };
      }
      if (known.length > 0) {
        throw new IdempotencyConflictError(
          `append to "${streamId}" mixes ${known.length} already recorded event id(s) with ` +
            `${ids.size - known.length} new one(s); retry the original batch unchanged, or use new ids`,
        );
      }
      const head = recent[0];
      const version = head?.streamVersion ?? 0;
      if (!expectationHolds(expected, version))
        throw new WrongExpectedVersionError(streamId, expected, version);
      const prepared = chainEvents(stamped, version, head?.metadata.hash ?? null);
      const expectedRevision: AppendExpectedRevision = version === 0 ? NO_STREAM : BigInt(version - 1);
      try {
        await this.client.appendToStream(
          streamId,
          prepared.map((event) =>
            jsonEvent({
              id: event.eventId,
              type: event.type,
              data: event.data as JSONType,
              metadata: {
                schemaVersion: event.schemaVersion,
                actor: event.actor,
                correlationId: event.correlationId,
                causationId: event.causationId,
                recordedAt: event.recordedAt,
                previousHash: event.previousHash,
                hash: event.hash,
              } satisfies StoredMetadata,
            }),
          ),
          { expectedRevision },
        );
      } catch (error) {
        // The hashes were chained to a head that moved: re-read, re-check the caller's expectation.
        if (error instanceof EsdbWrongExpectedVersionError) continue;
        throw error;
      }
      const written = await this.readStream(streamId, { from: version + 1, limit: prepared.length });
      return { nextExpectedVersion: version + prepared.length, events: written };
    }
    throw new Error(`append to "${streamId}" gave up after ${MAX_RETRIES} attempts: the stream kept moving`);
  }

  /** EventStoreDB has no multi-stream transaction: one append per stream, all in flight at once. */
  async appendMany(appends: readonly StreamAppend[]): Promise<PromiseSettledResult<AppendResult>[]> {
    refuseRepeatedStreams(appends);
    return Promise.allSettled(
      appends.map((entry) => this.append(entry.streamId, entry.events, entry.expected, entry.context)),
    );
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<readonly RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const fromRevision =
      options.from === undefined ? (backwards ? END : ESDB_START) : BigInt(Math.max(0, options.from - 1));
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(streamId, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision,
        ...(options.limit !== undefined ? { maxCount: options.limit } : {}),
      })) {
        const event = toRecordedEvent(resolved);
        if (event) events.push(event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  async readAll(from: Checkpoint, limit: number, options: ReadAllOptions = {}): Promise<ReadAllResult> {
    const types = options.types ? new Set(options.types) : undefined;
    const events: RecordedEvent[] = [];
    let position: Position | typeof ESDB_START = from === '' ? ESDB_START : parseCheckpoint(from);
    let cursor = from;
    for (;;) {
      let read = 0;
      for await (const resolved of this.client.readAll({
        direction: FORWARDS,
        fromPosition: position,
        maxCount: limit + 1,
      })) {
        read += 1;
        const checkpoint = resolved.event?.position ? formatCheckpoint(resolved.event.position) : undefined;
        if (!checkpoint || checkpoint <= cursor) continue;
        cursor = checkpoint;
        position = resolved.event!.position!;
        const event = toRecordedEvent(resolved);
        if (!event || (types && !types.has(event.type))) continue;
        events.push(event);
        if (events.length === limit) return { events, checkpoint: event.checkpoint };
      }
      // Fewer than asked for: the end of the log (system events may have thinned the page).
      if (read <= limit) break;
    }
    return { events, checkpoint: events.length > 0 ? events[events.length - 1]!.checkpoint : from };
  }

  async head(): Promise<Checkpoint> {
    for await (const resolved of this.client.readAll({
      direction: BACKWARDS,
      fromPosition: END,
      maxCount: 1,
    })) {
      if (resolved.event?.position) return formatCheckpoint(resolved.event.position);
    }
    return '';
  }

  subscribe(from: Checkpoint): Subscription {
    const subscription = this.client.subscribeToAll({
      fromPosition: from === '' ? ESDB_START : parseCheckpoint(from),
      filter: excludeSystemEvents(),
    });
    async function* events(): AsyncGenerator<RecordedEvent> {
      for await (const resolved of subscription) {
        const event = toRecordedEvent(resolved);
        if (event && event.checkpoint > from) yield event;
      }
    }
    return { [Symbol.asyncIterator]: () => events(), close: () => subscription.unsubscribe() };
  }

  async verify(streamId: string): Promise<VerifyResult> {
    return verifyChain(streamId, await this.readStream(streamId));
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }
}

function toRecordedEvent(resolved: ResolvedEvent): RecordedEvent | undefined {
  const event = resolved.event;
  if (!event || !event.isJson || event.type.startsWith('$') || event.streamId.startsWith('$'))
    return undefined;
  const metadata = event.metadata as unknown as StoredMetadata | undefined;
  if (!metadata || typeof metadata.hash !== 'string') return undefined;
  return {
    eventId: event.id,
    streamId: event.streamId,
    streamVersion: Number(event.revision) + 1,
    checkpoint: event.position ? formatCheckpoint(event.position) : '',
    type: event.type,
    schemaVersion: metadata.schemaVersion,
    data: event.data,
    metadata: {
      actor: metadata.actor,
      correlationId: metadata.correlationId,
      causationId: metadata.causationId,
      recordedAt: metadata.recordedAt,
      previousHash: metadata.previousHash,
      hash: metadata.hash,
    },
  };
}

function formatCheckpoint(position: Position): Checkpoint {
  return `${position.commit.toString().padStart(20, '0')}:${position.prepare.toString().padStart(20, '0')}`;
}

function parseCheckpoint(checkpoint: Checkpoint): Position {
  const match = /^(\d{20}):(\d{20})$/.exec(checkpoint);
  if (!match) {
    throw new InvalidEventError(
      `checkpoint "${checkpoint}" is not an EventStoreDB checkpoint; use START ('') or one the store returned`,
    );
  }
  return { commit: BigInt(match[1]!), prepare: BigInt(match[2]!) };
}
