import {
  WrongExpectedVersionError,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
} from '../eventstore/index.js';
import {
  eventRegistry,
  type Decider,
  type DomainEvent,
  type EventRegistry,
  type LifecycleEvent,
} from '../domain/index.js';
import type { CommandContext } from './commandContext.js';
import { deterministicEventId } from './idempotency.js';

/** The result of a handled command: the recorded events (empty when the decision was a no-op). */
export interface CommandResult {
  readonly streamId: string;
  readonly events: readonly RecordedEvent[];
  /** The stream's version after the command. */
  readonly version: number;
  /** True when the idempotency key had already been used: nothing new was appended. */
  readonly replayed: boolean;
}

/** A stream loaded and folded. */
export interface LoadedStream<State> {
  readonly state: State;
  /** The number of events in the stream; 0 when it does not exist. */
  readonly version: number;
  readonly events: readonly RecordedEvent[];
}

/** The stream kept moving under the command: more writers than retries. */
export class ConcurrencyConflictError extends Error {
  override readonly name = 'ConcurrencyConflictError';
  readonly code = 'CONCURRENCY_CONFLICT';

  constructor(
    readonly streamId: string,
    readonly attempts: number,
  ) {
    super(
      `Stream "${streamId}" changed under the command ${attempts} times in a row; another writer is busy on it. Retry the command later.`,
    );
  }
}

export interface CommandHandlerOptions {
  /** How many times a command is decided again after a version conflict. Default 5. */
  readonly maxRetries?: number;
  readonly registry?: EventRegistry;
}

/**
 * Load, decide, append: the one path every command takes. Reads the stream, upcasts and folds
 * it, decides, validates each event against its schema, and appends with the version it read.
 * On a version conflict it starts again from the read, a bounded number of times.
 */
export class CommandHandler {
  private readonly maxRetries: number;
  private readonly registry: EventRegistry;

  constructor(
    private readonly store: EventStore,
    options: CommandHandlerOptions = {},
  ) {
    this.maxRetries = options.maxRetries ?? 5;
    this.registry = options.registry ?? eventRegistry;
  }

  /** A stream's events of known types, upcast to their current versions. */
  async readEvents(streamId: string): Promise<LifecycleEvent[]> {
    const events: LifecycleEvent[] = [];
    for (const recorded of await this.store.readStream(streamId)) {
      if (!this.registry.has(recorded.type)) continue;
      const { data } = this.registry.upcast(recorded.type, recorded.schemaVersion, recorded.data);
      events.push({ type: recorded.type, data } as LifecycleEvent);
    }
    return events;
  }

  async load<Command, Event extends DomainEvent, State>(
    decider: Decider<Command, Event, State>,
    streamId: string,
  ): Promise<LoadedStream<State>> {
    const events = await this.store.readStream(streamId);
    let state = decider.initialState();
    for (const recorded of events) {
      if (!this.registry.has(recorded.type)) continue;
      const { data } = this.registry.upcast(recorded.type, recorded.schemaVersion, recorded.data);
      state = decider.evolve(state, { type: recorded.type, data } as Event);
    }
    return { state, version: events.length === 0 ? 0 : events[events.length - 1]!.streamVersion, events };
  }

  async handle<Command, Event extends DomainEvent, State>(
    decider: Decider<Command, Event, State>,
    streamId: string,
    command: Command,
    context: CommandContext,
  ): Promise<CommandResult> {
    for (let attempt = 0; ; attempt++) {
      const loaded = await this.load(decider, streamId);
      const replay = this.replayOf(loaded.events, streamId, context);
      if (replay) return { streamId, events: replay, version: loaded.version, replayed: true };

      const decided = decider.decide(command, loaded.state);
      if (decided.length === 0) return { streamId, events: [], version: loaded.version, replayed: false };

      const newEvents = decided.map((event, index): NewEvent => {
        const data = this.registry.validate(event.type, event.data);
        return {
          ...(context.idempotencyKey
            ? { eventId: deterministicEventId(context.idempotencyKey, streamId, index) }
            : {}),
          type: event.type,
          schemaVersion: this.registry.currentVersion(event.type),
          // JSON drops keys whose value is undefined, which the store's canonical JSON refuses.
          data: JSON.parse(JSON.stringify(data)) as unknown,
        };
      });
      const correlationId = context.correlationId ?? loaded.events[0]?.metadata.correlationId;
      try {
        const appended = await this.store.append(
          streamId,
          newEvents,
          loaded.version === 0 ? 'no_stream' : loaded.version,
          {
            actor: context.actor,
            ...(correlationId ? { correlationId } : {}),
            ...(context.causationId ? { causationId: context.causationId } : {}),
          },
        );
        return { streamId, events: appended.events, version: appended.nextExpectedVersion, replayed: false };
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        if (attempt >= this.maxRetries) throw new ConcurrencyConflictError(streamId, attempt + 1);
      }
    }
  }

  /** The events an earlier run of this command appended, when its idempotency key was used. */
  private replayOf(
    events: readonly RecordedEvent[],
    streamId: string,
    context: CommandContext,
  ): readonly RecordedEvent[] | undefined {
    const key = context.idempotencyKey;
    if (!key) return undefined;
    const start = events.findIndex((event) => event.eventId === deterministicEventId(key, streamId, 0));
    if (start < 0) return undefined;
    const replayed: RecordedEvent[] = [events[start]!];
    for (
      let index = 1;
      events[start + index]?.eventId === deterministicEventId(key, streamId, index);
      index++
    ) {
      replayed.push(events[start + index]!);
    }
    return replayed;
  }
}
