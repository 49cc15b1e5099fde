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
} from '../eventstore/index.js';
import { isDatabaseUnavailable } from '../eventstore/index.js';
import { decryptField, encryptField, isEncryptedField } from './envelope.js';
import { mapPersonalFields, personalFields, subjectOf } from './personalFields.js';
import type { SubjectKeys } from './subjectKeys.js';

/**
 * Crypto-shredding around any event store: personal fields (personalFields.ts) are encrypted with the data
 * key of the event's subject (subjectOf: a served interaction's end user, else the context's actor) before
 * they reach the log, and decrypted
 * here, the one place events are read from, for every reader: projections, services, audit, flywheel and
 * exports. The hash chain is computed by the store over what it stores, the ciphertext, so it verifies
 * before and after a key is destroyed; once it is, the fields read as "[erased]", on every rebuild too.
 */
export class ShreddingEventStore implements EventStore {
  constructor(
    private readonly inner: EventStore,
    private readonly keys: SubjectKeys,
  ) {}

  /** The events as stored (ciphertext): what the hash chains cover. */
  get stored(): EventStore {
    return this.inner;
  }

  /** Stored events as this store reads them: personal fields decrypted, or `[erased]`. */
  decode(events: readonly RecordedEvent[]): Promise<RecordedEvent[]> {
    return this.decrypt(events);
  }

  async append(
    streamId: string,
    events: readonly NewEvent[],
    expected: ExpectedVersion,
    context: EventContext,
  ): Promise<AppendResult> {
    const [encrypted] = await this.encrypt([{ streamId, events, expected, context }]);
    const result = await this.inner.append(streamId, encrypted!.events, expected, context);
    return { ...result, events: await this.decrypt(result.events) };
  }

  async appendMany(appends: readonly StreamAppend[]): Promise<PromiseSettledResult<AppendResult>[]> {
    const outcomes = await this.inner.appendMany(await this.encrypt(appends));
    const decrypted = await this.decrypt(
      outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? outcome.value.events : [])),
    );
    let next = 0;
    return outcomes.map((outcome) => {
      if (outcome.status === 'rejected') return outcome;
      const events = decrypted.slice(next, next + outcome.value.events.length);
      next += outcome.value.events.length;
      return { status: 'fulfilled', value: { ...outcome.value, events } };
    });
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<readonly RecordedEvent[]> {
    return this.decrypt(await this.inner.readStream(streamId, options));
  }

  async readAll(from: Checkpoint, limit: number, options?: ReadAllOptions): Promise<ReadAllResult> {
    const result = await this.inner.readAll(from, limit, options);
    return { ...result, events: await this.decrypt(result.events) };
  }

  head(): Promise<Checkpoint> {
    return this.inner.head();
  }

  subscribe(from: Checkpoint): Subscription {
    const inner = this.inner.subscribe(from);
    // A subscription outlives lost database connections (the inner one retries its reads); reading a
    // subject's key must too, or a terminated connection would end it.
    const decryptOne = async (event: RecordedEvent): Promise<RecordedEvent> => {
      for (let attempt = 0; ; attempt++) {
        try {
          return (await this.decrypt([event]))[0]!;
        } catch (error) {
          if (!isDatabaseUnavailable(error)) throw error;
          await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 5_000)));
        }
      }
    };
    return {
      close: () => inner.close(),
      async *[Symbol.asyncIterator]() {
        for await (const event of inner) yield await decryptOne(event);
      },
    };
  }

  verify(streamId: string): Promise<VerifyResult> {
    return this.inner.verify(streamId);
  }

  get idempotencyFingerprint(): EventStore['idempotencyFingerprint'] {
    return this.inner.idempotencyFingerprint?.bind(this.inner);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async encrypt(appends: readonly StreamAppend[]): Promise<StreamAppend[]> {
    const subjects = appends.flatMap((append) =>
      append.events.flatMap((event) =>
        personalFields[event.type] ? [subjectOf(event.type, event.data, append.context.actor)] : [],
      ),
    );
    if (subjects.length === 0) return [...appends];
    const keys = await this.keys.keysForWriting(subjects);
    return appends.map((append) => ({
      ...append,
      events: append.events.map((event) => {
        if (!personalFields[event.type]) return event;
        const subject = subjectOf(event.type, event.data, append.context.actor);
        const key = keys.get(subject)!;
        return {
          ...event,
          data: mapPersonalFields(event.type, event.data, (value, path) =>
            typeof value === 'string' ? encryptField(key, subject, event.type, path, value) : value,
          ),
        };
      }),
    }));
  }

  private async decrypt(events: readonly RecordedEvent[]): Promise<RecordedEvent[]> {
    const subjects = new Set<string>();
    for (const event of events) {
      mapPersonalFields(event.type, event.data, (value) => {
        if (isEncryptedField(value)) subjects.add(value.subject);
        return value;
      });
    }
    if (subjects.size === 0) return [...events];
    const keys = await this.keys.existingKeys(subjects);
    return events.map((event) =>
      personalFields[event.type]
        ? {
            ...event,
            data: mapPersonalFields(event.type, event.data, (value, path) =>
              isEncryptedField(value)
                ? decryptField(keys.get(value.subject), event.type, path, value)
                : value,
            ),
          }
        : event,
    );
  }
}
