import {
  IdempotencyKeyReusedError,
  WrongExpectedVersionError,
  type EventContext,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
  type StreamAppend,
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
import { RedactionGate } from './redactionGate.js';

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

/** The stream kept moving under the command: more writers than retries. Trying again later may succeed. */
export class ConcurrencyConflictError extends Error {
  override readonly name = 'ConcurrencyConflictError';
  readonly code = 'CONCURRENCY_CONFLICT';
  readonly retryable = true;

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
  /** How many times a command is decided again after a version conflict. Default 25. */
  readonly maxRetries?: number;
  /**
   * The pause before a retry is random in [0, min(maxMs, baseMs * 2^retry)) ("full jitter"), so writers that
   * collided spread out instead of colliding again. Default 4 and 250 ms.
   */
  readonly retryBackoff?: { readonly baseMs: number; readonly maxMs: number };
  readonly registry?: EventRegistry;
  /** Redacts free text (default: the PII redactor of src/data/pii). */
  readonly redact?: (text: string) => string;
}

/**
 * Load, decide, append: the one path every command takes. Reads the stream, upcasts and folds
 * it, redacts the command's free text, decides, validates each event against its schema, redacts
 * its free-text fields, and appends with the version it read. On a version conflict it starts again
 * from the read, a bounded number of times.
 */
export class CommandHandler {
  private readonly maxRetries: number;
  private readonly retryBackoff: { readonly baseMs: number; readonly maxMs: number };
  private readonly registry: EventRegistry;
  private readonly gate: RedactionGate;

  constructor(
    private readonly store: EventStore,
    options: CommandHandlerOptions = {},
  ) {
    // Writers on one stream that do not conflict in meaning (labels on one interaction) only collide on
    // its version: each round one of them wins, so 20 at once need up to 19 retries in the worst case.
    this.maxRetries = options.maxRetries ?? 25;
    this.retryBackoff = options.retryBackoff ?? { baseMs: 4, maxMs: 250 };
    this.registry = options.registry ?? eventRegistry;
    this.gate = new RedactionGate(this.registry, options.redact);
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
    const redacted = this.gate.command(command);
    for (let attempt = 0; ; attempt++) {
      const loaded = await this.load(decider, streamId);
      const replay = this.replayOf(loaded.events, streamId, context);
      if (replay) {
        await this.refuseOtherRequest(context);
        return { streamId, events: replay, version: loaded.version, replayed: true };
      }

      const decided = decider.decide(redacted, loaded.state);
      if (decided.length === 0) return { streamId, events: [], version: loaded.version, replayed: false };

      const newEvents = this.toNewEvents(decided, streamId, context);
      const correlationId = context.correlationId ?? loaded.events[0]?.metadata.correlationId;
      try {
        const appended = await this.store.append(
          streamId,
          newEvents,
          loaded.version === 0 ? 'no_stream' : loaded.version,
          this.eventContext(context, correlationId),
        );
        // A concurrent request under the same key got there first: its events are the answer.
        if (appended.duplicate) await this.refuseOtherRequest(context);
        return {
          streamId,
          events: appended.events,
          version: appended.nextExpectedVersion,
          replayed: appended.duplicate === true,
        };
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        if (attempt >= this.maxRetries) throw new ConcurrencyConflictError(streamId, attempt + 1);
        await this.pauseBeforeRetry(attempt);
      }
    }
  }

  /** What the store stamps into the events' metadata, and the idempotency key to keep with them. */
  private eventContext(context: CommandContext, correlationId: string | undefined): EventContext {
    return {
      actor: context.actor,
      ...(correlationId ? { correlationId } : {}),
      ...(context.causationId ? { causationId: context.causationId } : {}),
      ...(context.idempotencyKey && context.requestFingerprint
        ? { idempotency: { key: context.idempotencyKey, fingerprint: context.requestFingerprint } }
        : {}),
    };
  }

  /**
   * Events under this context's key are already recorded: refused when the key was kept with another request's
   * fingerprint. A key kept without one (recorded by a worker, or before fingerprints were kept) is a replay.
   */
  private async refuseOtherRequest(context: CommandContext): Promise<void> {
    const key = context.idempotencyKey;
    if (!key || !context.requestFingerprint || !this.store.idempotencyFingerprint) return;
    const kept = await this.store.idempotencyFingerprint(key);
    if (kept !== undefined && kept !== context.requestFingerprint) throw new IdempotencyKeyReusedError(key);
  }

  private pauseBeforeRetry(attempt: number): Promise<void> {
    const { baseMs, maxMs } = this.retryBackoff;
    const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
    return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
  }

  /**
   * Many commands, each on a stream expected not to exist yet (an interaction, say), written with one
   * `appendMany`: each is decided against the initial state and appended with 'no_stream'. A command whose
   * stream turns out to exist is handled again the ordinary way (load, decide, append), so every outcome is
   * what `handle` would give, except that a retry recognised by its idempotency key comes back with the
   * events first recorded and no `replayed` flag (the store does not say which it was).
   */
  async handleOnNewStreams<Command, Event extends DomainEvent, State>(
    decider: Decider<Command, Event, State>,
    commands: readonly { streamId: string; command: Command; context: CommandContext }[],
  ): Promise<PromiseSettledResult<Omit<CommandResult, 'replayed'>>[]> {
    const outcomes: PromiseSettledResult<Omit<CommandResult, 'replayed'>>[] = new Array(commands.length);
    const appends: { index: number; append: StreamAppend }[] = [];
    const again: number[] = [];
    const retried: number[] = [];
    const named = new Set<string>();
    commands.forEach(({ streamId, command, context }, index) => {
      // A stream named twice: the later commands are handled after the batch, against what it wrote.
      if (named.has(streamId)) {
        again.push(index);
        return;
      }
      named.add(streamId);
      try {
        const decided = decider.decide(this.gate.command(command), decider.initialState());
        if (decided.length === 0) {
          outcomes[index] = { status: 'fulfilled', value: { streamId, events: [], version: 0 } };
          return;
        }
        appends.push({
          index,
          append: {
            streamId,
            events: this.toNewEvents(decided, streamId, context),
            expected: 'no_stream',
            context: this.eventContext(context, context.correlationId),
          },
        });
      } catch {
        // Refused against a new stream; the stream may exist, where the command may hold.
        retried.push(index);
      }
    });
    const appended = appends.length > 0 ? await this.store.appendMany(appends.map((a) => a.append)) : [];
    appended.forEach((outcome, position) => {
      const { index, append } = appends[position]!;
      if (outcome.status === 'fulfilled') {
        const { events, nextExpectedVersion } = outcome.value;
        outcomes[index] = {
          status: 'fulfilled',
          value: { streamId: append.streamId, events, version: nextExpectedVersion },
        };
      } else if (outcome.reason instanceof WrongExpectedVersionError) retried.push(index);
      else outcomes[index] = outcome;
    });
    const handleAgain = async (index: number) => {
      const { streamId, command, context } = commands[index]!;
      try {
        const { replayed: _replayed, ...value } = await this.handle(decider, streamId, command, context);
        outcomes[index] = { status: 'fulfilled', value };
      } catch (error) {
        outcomes[index] = { status: 'rejected', reason: error };
      }
    };
    await Promise.all(retried.map(handleAgain));
    for (const index of again) await handleAgain(index);
    return outcomes;
  }

  /**
   * Decided events as the store takes them: validated, free text redacted, versioned, with ids derived
   * from the idempotency key.
   */
  private toNewEvents(
    decided: readonly DomainEvent[],
    streamId: string,
    context: CommandContext,
  ): NewEvent[] {
    return decided.map((event, index): NewEvent => {
      const data = this.gate.eventData(event.type, this.registry.validate(event.type, event.data));
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
  }

  /**
   * The events a command run earlier on `streamId` under this context's idempotency key appended,
   * or undefined (no key, or not used there): for work that must answer a retry with its first
   * result without doing it again.
   */
  async earlierRun(streamId: string, context: CommandContext): Promise<readonly RecordedEvent[] | undefined> {
    if (!context.idempotencyKey) return undefined;
    return this.replayOf(await this.store.readStream(streamId), streamId, context);
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
