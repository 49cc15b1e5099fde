import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  createEventRegistry,
  defineEvent,
  freeText,
  type Decider,
  type DomainEvent,
} from '../../src/domain/index.js';
import {
  IdempotencyKeyReusedError,
  PostgresEventStore,
  type EventStore,
} from '../../src/eventstore/index.js';
import {
  CommandHandler,
  ConcurrencyConflictError,
  deterministicEventId,
  type CommandContext,
} from '../../src/services/index.js';
import { postgresSkipReason, postgresTarget, type TestDatabase } from '../support/databases.js';

// The CommandHandler on real PostgreSQL (a database of its own, created from DATABASE_URL: no PGlite start-up,
// so the file runs in seconds and Stryker can run it per mutant). A small aggregate of the test's own, a tally,
// keeps the rules in view: its event `Counted` is at schema version 2 (v1 stored `count`, upcast to `n`), and
// its `note` is free text the handler must redact.
const counted = defineEvent(
  'Counted',
  z.object({ n: z.number().int(), note: freeText(z.string()).optional() }),
  {
    schemaVersion: 2,
    upcasters: { 1: (data) => ({ n: data['count'] }) },
  },
);
const registry = createEventRegistry([counted]);

type Counted = DomainEvent<'Counted', { n: number; note?: string }>;
type Count = {
  readonly type: 'Count';
  readonly by: number;
  readonly note?: string;
  /** Refused unless the tally already reached this total. */
  readonly atLeast?: number;
};
interface Tally {
  readonly total: number;
  readonly seen: readonly string[];
}
const tally: Decider<Count, Counted, Tally> = {
  initialState: () => ({ total: 0, seen: [] }),
  evolve: (state, event) => ({ total: state.total + event.data.n, seen: [...state.seen, event.type] }),
  // A count of 0 decides nothing; the decider sees the command as the handler passes it (redacted).
  decide: (command, state) => {
    if (command.atLeast !== undefined && state.total < command.atLeast) {
      throw new Error(`the tally is at ${state.total}, not yet ${command.atLeast}`);
    }
    return command.by === 0
      ? []
      : Array.from({ length: command.by }, () => ({
          type: 'Counted' as const,
          data: { n: 1, ...(command.note !== undefined ? { note: command.note } : {}) },
        }));
  },
};
const redact = (text: string) => text.replaceAll('ana@example.com', '[EMAIL]');
const actor: CommandContext = { actor: 'ana' };

/** The store, except that before each of its first `rivals` appends another writer appends to the stream. */
function withRivalWriter(store: EventStore, rivals: number): EventStore & { rivalWrites: () => number } {
  let written = 0;
  return new Proxy(store, {
    get(target, property) {
      if (property === 'rivalWrites') return () => written;
      if (property === 'append') {
        return async (...args: Parameters<EventStore['append']>) => {
          if (written < rivals) {
            written += 1;
            await target.append(args[0], [{ type: 'Counted', schemaVersion: 2, data: { n: 100 } }], 'any', {
              actor: 'rival',
            });
          }
          return target.append(...args);
        };
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as EventStore & { rivalWrites: () => number };
}

describe.skipIf(postgresSkipReason !== undefined)('CommandHandler', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let handler: CommandHandler;
  let streams = 0;
  const newStream = () => `tally-${++streams}`;

  beforeAll(async () => {
    database = await postgresTarget!.open();
    store = new PostgresEventStore(database);
    handler = new CommandHandler(store, { registry, redact, retryBackoff: { baseMs: 0, maxMs: 0 } });
  });
  afterAll(async () => {
    await store.close();
    await database.close();
  });
  afterEach(() => vi.restoreAllMocks());

  describe('load and readEvents', () => {
    it('give version 0 and the initial state for a stream that does not exist', async () => {
      expect(await handler.load(tally, 'tally-none')).toEqual({
        state: { total: 0, seen: [] },
        version: 0,
        events: [],
      });
      expect(await handler.readEvents('tally-none')).toEqual([]);
    });

    it('upcast stored events, skip types the registry does not know, and give the last version', async () => {
      const streamId = newStream();
      await store.append(
        streamId,
        [
          { type: 'Counted', schemaVersion: 1, data: { count: 2 } },
          { type: 'SomethingForeign', data: { n: 50 } },
          { type: 'Counted', schemaVersion: 2, data: { n: 3 } },
        ],
        'no_stream',
        actor,
      );
      const loaded = await handler.load(tally, streamId);
      expect(loaded.state).toEqual({ total: 5, seen: ['Counted', 'Counted'] });
      expect(loaded.version).toBe(3);
      expect(loaded.events.map((event) => event.type)).toEqual(['Counted', 'SomethingForeign', 'Counted']);
      expect(await handler.readEvents(streamId)).toEqual([
        { type: 'Counted', data: { n: 2 } },
        { type: 'Counted', data: { n: 3 } },
      ]);
    });
  });

  describe('handle', () => {
    it('appends the decided events at the current schema version, after the version it read', async () => {
      const streamId = newStream();
      const first = await handler.handle(tally, streamId, { type: 'Count', by: 2 }, actor);
      expect(first).toMatchObject({ streamId, version: 2, replayed: false });
      expect(first.events.map((event) => [event.streamVersion, event.schemaVersion, event.data])).toEqual([
        [1, 2, { n: 1 }],
        [2, 2, { n: 1 }],
      ]);
      const second = await handler.handle(tally, streamId, { type: 'Count', by: 1 }, actor);
      expect(second.version).toBe(3);
      expect(second.events[0]!.metadata.actor).toBe('ana');
    });

    it('appends nothing and keeps the version when the decision is empty', async () => {
      const streamId = newStream();
      await handler.handle(tally, streamId, { type: 'Count', by: 1 }, actor);
      expect(await handler.handle(tally, streamId, { type: 'Count', by: 0 }, actor)).toEqual({
        streamId,
        events: [],
        version: 1,
        replayed: false,
      });
      expect(await handler.handle(tally, newStream(), { type: 'Count', by: 0 }, actor)).toMatchObject({
        events: [],
        version: 0,
      });
      expect((await store.readStream(streamId)).length).toBe(1);
    });

    it('redacts free text before the decider sees it and drops undefined fields', async () => {
      const streamId = newStream();
      const { events } = await handler.handle(
        tally,
        streamId,
        { type: 'Count', by: 1, note: 'ask ana@example.com' },
        actor,
      );
      expect(events[0]!.data).toEqual({ n: 1, note: 'ask [EMAIL]' });
      const withUndefined: Decider<Count, Counted, Tally> = {
        ...tally,
        decide: () => [{ type: 'Counted', data: { n: 1, note: undefined } }],
      };
      const {
        events: [plain],
      } = await handler.handle(withUndefined, newStream(), { type: 'Count', by: 1 }, actor);
      expect(plain!.data).toEqual({ n: 1 });
    });

    it('stamps the correlation and causation it is given, and continues the stream’s own correlation', async () => {
      const streamId = newStream();
      const { events: started } = await handler.handle(tally, streamId, { type: 'Count', by: 1 }, actor);
      const own = started[0]!.metadata.correlationId;
      // A stream's first command without a correlation starts one (the store's); later ones continue it.
      expect(own).toEqual(expect.any(String));
      const { events: continued } = await handler.handle(tally, streamId, { type: 'Count', by: 1 }, actor);
      expect(continued[0]!.metadata.correlationId).toBe(own);
      expect(continued[0]!.metadata.causationId).toBeNull();
      const { events: caused } = await handler.handle(
        tally,
        streamId,
        { type: 'Count', by: 1 },
        { actor: 'worker', correlationId: 'flow-1', causationId: started[0]!.eventId },
      );
      expect(caused[0]!.metadata).toMatchObject({
        actor: 'worker',
        correlationId: 'flow-1',
        causationId: started[0]!.eventId,
      });
    });

    it('gives the events of an earlier run under the same idempotency key, appending nothing', async () => {
      const streamId = newStream();
      const context = { actor: 'ana', idempotencyKey: 'key-1' };
      await handler.handle(tally, streamId, { type: 'Count', by: 1 }, actor);
      const first = await handler.handle(tally, streamId, { type: 'Count', by: 2 }, context);
      expect(first.events.map((event) => event.eventId)).toEqual([
        deterministicEventId('key-1', streamId, 0),
        deterministicEventId('key-1', streamId, 1),
      ]);
      await handler.handle(tally, streamId, { type: 'Count', by: 1 }, actor);
      const again = await handler.handle(tally, streamId, { type: 'Count', by: 2 }, context);
      // Only the two events of the keyed run, not the unkeyed one after them; the version is the stream's.
      expect(again).toEqual({ streamId, events: first.events, version: 4, replayed: true });
      expect((await store.readStream(streamId)).length).toBe(4);
      expect(await handler.earlierRun(streamId, context)).toEqual(first.events);
      expect(await handler.earlierRun(streamId, { actor: 'ana', idempotencyKey: 'key-2' })).toBeUndefined();
      expect(await handler.earlierRun(streamId, actor)).toBeUndefined();
    });

    it('refuses a key reused for another request, and replays one with the same fingerprint', async () => {
      const streamId = newStream();
      const keyed = { actor: 'ana', idempotencyKey: 'key-f', requestFingerprint: 'fp-1' };
      await handler.handle(tally, streamId, { type: 'Count', by: 1 }, keyed);
      expect(await store.idempotencyFingerprint('key-f')).toBe('fp-1');
      await expect(
        handler.handle(tally, streamId, { type: 'Count', by: 1 }, { ...keyed, requestFingerprint: 'fp-2' }),
      ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
      expect(await handler.handle(tally, streamId, { type: 'Count', by: 1 }, keyed)).toMatchObject({
        replayed: true,
        version: 1,
      });
      // Without a fingerprint (a worker's key) the events under the key are a replay, whatever was kept.
      expect(
        await handler.handle(
          tally,
          streamId,
          { type: 'Count', by: 1 },
          { actor: 'ana', idempotencyKey: 'key-f' },
        ),
      ).toMatchObject({ replayed: true });
    });

    it('replays a keyed run that opened the stream, with the stream’s version', async () => {
      const streamId = newStream();
      const context = { actor: 'ana', idempotencyKey: 'key-first' };
      const first = await handler.handle(tally, streamId, { type: 'Count', by: 1 }, context);
      await handler.handle(tally, streamId, { type: 'Count', by: 1 }, actor);
      // The replay answers from the log (version 2), not by appending the same ids again (which the store
      // would answer with the first run's version, 1).
      expect(await handler.handle(tally, streamId, { type: 'Count', by: 1 }, context)).toEqual({
        streamId,
        events: first.events,
        version: 2,
        replayed: true,
      });
      expect(await handler.earlierRun(streamId, context)).toEqual(first.events);
    });

    it('never replays a command without a key, whatever keys the stream holds', async () => {
      const streamId = newStream();
      // A key spelled "undefined" must not be what a missing key turns into.
      await handler.handle(
        tally,
        streamId,
        { type: 'Count', by: 1 },
        { actor: 'ana', idempotencyKey: 'undefined' },
      );
      const unkeyed = await handler.handle(tally, streamId, { type: 'Count', by: 1 }, actor);
      expect(unkeyed).toMatchObject({ version: 2, replayed: false });
      expect(await handler.earlierRun(streamId, actor)).toBeUndefined();
    });

    it('replays a key first used without a fingerprint for a request that has one', async () => {
      const streamId = newStream();
      const first = await handler.handle(
        tally,
        streamId,
        { type: 'Count', by: 1 },
        { actor: 'worker', idempotencyKey: 'key-w' },
      );
      expect(await store.idempotencyFingerprint('key-w')).toBeUndefined();
      const again = await handler.handle(
        tally,
        streamId,
        { type: 'Count', by: 1 },
        { actor: 'ana', idempotencyKey: 'key-w', requestFingerprint: 'fp-w' },
      );
      expect(again).toEqual({ streamId, events: first.events, version: 1, replayed: true });
    });

    it('answers with the events of a concurrent request under the same key that appended first', async () => {
      // Between this request's read and its append, the same request (same key) is handled in full by another
      // handler: the append finds its own event ids recorded and the store answers with them.
      const raced = (rivalContext: CommandContext) =>
        new Proxy(store, {
          get(target, property) {
            if (property === 'append') {
              return async (...args: Parameters<EventStore['append']>) => {
                await handler.handle(tally, args[0], { type: 'Count', by: 2 }, rivalContext);
                return target.append(...args);
              };
            }
            const value = Reflect.get(target, property) as unknown;
            return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
          },
        });
      const context = { actor: 'ana', idempotencyKey: 'key-race', requestFingerprint: 'fp-race' };
      const streamId = newStream();
      const result = await new CommandHandler(raced(context), { registry }).handle(
        tally,
        streamId,
        { type: 'Count', by: 2 },
        context,
      );
      const recorded = await store.readStream(streamId);
      expect(recorded).toHaveLength(2);
      expect(result).toEqual({ streamId, events: recorded, version: 2, replayed: true });
      // The concurrent request was another one under the same key: refused, as a replay would be.
      const otherContext = { actor: 'bo', idempotencyKey: 'key-race-2', requestFingerprint: 'fp-other' };
      await expect(
        new CommandHandler(raced(otherContext), { registry }).handle(
          tally,
          newStream(),
          { type: 'Count', by: 2 },
          { ...otherContext, requestFingerprint: 'fp-mine' },
        ),
      ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    });

    it('keeps a key only together with a fingerprint', async () => {
      await handler.handle(
        tally,
        newStream(),
        { type: 'Count', by: 1 },
        { actor: 'ana', idempotencyKey: 'key-n' },
      );
      expect(await store.idempotencyFingerprint('key-n')).toBeUndefined();
      // A fingerprint without a key keeps nothing (and is no error).
      const { events } = await handler.handle(
        tally,
        newStream(),
        { type: 'Count', by: 1 },
        { actor: 'ana', requestFingerprint: 'fp' },
      );
      expect(events).toHaveLength(1);
    });

    it('decides again against the stream as another writer left it', async () => {
      const rivalStore = withRivalWriter(store, 2);
      const busy = new CommandHandler(rivalStore, {
        registry,
        redact,
        retryBackoff: { baseMs: 0, maxMs: 0 },
      });
      const streamId = newStream();
      const result = await busy.handle(tally, streamId, { type: 'Count', by: 1 }, actor);
      expect(rivalStore.rivalWrites()).toBe(2);
      expect(result.version).toBe(3);
      expect((await handler.load(tally, streamId)).state.total).toBe(201);
    });

    it('gives up with a retryable conflict after maxRetries retries', async () => {
      const rivalStore = withRivalWriter(store, 100);
      const busy = new CommandHandler(rivalStore, {
        registry,
        maxRetries: 2,
        retryBackoff: { baseMs: 0, maxMs: 0 },
      });
      const streamId = newStream();
      const error = await busy
        .handle(tally, streamId, { type: 'Count', by: 1 }, actor)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConcurrencyConflictError);
      expect((error as Error).name).toBe('ConcurrencyConflictError');
      expect(error).toMatchObject({ streamId, attempts: 3, code: 'CONCURRENCY_CONFLICT', retryable: true });
      expect((error as Error).message).toContain('3 times in a row');
      expect(rivalStore.rivalWrites()).toBe(3);
      const once = new CommandHandler(withRivalWriter(store, 1), { registry, maxRetries: 0 });
      await expect(once.handle(tally, newStream(), { type: 'Count', by: 1 }, actor)).rejects.toMatchObject({
        attempts: 1,
      });
    });

    it('retries 25 times by default', async () => {
      const rivalStore = withRivalWriter(store, 1000);
      const busy = new CommandHandler(rivalStore, { registry, retryBackoff: { baseMs: 0, maxMs: 0 } });
      await expect(busy.handle(tally, newStream(), { type: 'Count', by: 1 }, actor)).rejects.toMatchObject({
        attempts: 26,
      });
      expect(rivalStore.rivalWrites()).toBe(26);
    });

    it('passes other errors of the store on at once', async () => {
      let appends = 0;
      const broken = new Proxy(store, {
        get(target, property) {
          if (property === 'append') {
            return () => {
              appends += 1;
              return Promise.reject(new Error('disk full'));
            };
          }
          const value = Reflect.get(target, property) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      await expect(
        new CommandHandler(broken, { registry }).handle(tally, newStream(), { type: 'Count', by: 1 }, actor),
      ).rejects.toThrow('disk full');
      expect(appends).toBe(1);
    });

    /** The pauses before each of `retries` retries, with Math.random() fixed at `share` (timers run at once). */
    async function pausesBeforeRetries(
      options: { retryBackoff?: { baseMs: number; maxMs: number } },
      retries: number,
      share: number,
    ): Promise<number[]> {
      vi.spyOn(Math, 'random').mockReturnValue(share);
      const delays: number[] = [];
      const realSetTimeout = globalThis.setTimeout;
      vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, ms?: number) => {
        delays.push(ms ?? 0);
        return realSetTimeout(callback, 0);
      }) as typeof setTimeout);
      const busy = new CommandHandler(withRivalWriter(store, retries), { registry, ...options });
      await busy.handle(tally, newStream(), { type: 'Count', by: 1 }, actor);
      vi.restoreAllMocks();
      // The store's own timers wait whole milliseconds: they are left out.
      return delays.filter((ms) => !Number.isInteger(ms)).map((ms) => Math.round(ms * 1000) / 1000);
    }

    it('waits a random share of min(maxMs, baseMs * 2^retry) before each retry', async () => {
      // Retries 0..3: ceilings 1000, 2000, 4000 and 5000 (capped, not 8000), times the random share.
      expect(await pausesBeforeRetries({ retryBackoff: { baseMs: 1000, maxMs: 5000 } }, 4, 0.0007)).toEqual([
        0.7, 1.4, 2.8, 3.5,
      ]);
    });

    it('starts the pauses at 4 ms and caps them at 250 ms by default', async () => {
      // Ceilings 4, 8, ..., 128, then 250 (not 256) and 250, times the random share.
      expect(await pausesBeforeRetries({}, 8, 0.999)).toEqual([
        3.996, 7.992, 15.984, 31.968, 63.936, 127.872, 249.75, 249.75,
      ]);
    });
  });

  describe('handleOnNewStreams', () => {
    it('writes commands on new streams in one append, with their ids, correlation and versions', async () => {
      const [a, b] = [newStream(), newStream()];
      const outcomes = await handler.handleOnNewStreams(tally, [
        { streamId: a, command: { type: 'Count', by: 2 }, context: { actor: 'ana', idempotencyKey: 'k-a' } },
        {
          streamId: b,
          command: { type: 'Count', by: 1, note: 'ana@example.com' },
          context: { actor: 'bo', correlationId: 'flow' },
        },
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
      const [first, second] = outcomes.map(
        (o) =>
          (
            o as PromiseFulfilledResult<{
              streamId: string;
              version: number;
              events: readonly {
                eventId: string;
                data: unknown;
                metadata: { actor: string; correlationId: string };
              }[];
            }>
          ).value,
      );
      expect(first).toMatchObject({ streamId: a, version: 2 });
      expect(first!.events.map((event) => event.eventId)).toEqual([
        deterministicEventId('k-a', a, 0),
        deterministicEventId('k-a', a, 1),
      ]);
      expect(second).toMatchObject({ streamId: b, version: 1 });
      expect(second!.events[0]!.data).toEqual({ n: 1, note: '[EMAIL]' });
      expect(second!.events[0]!.metadata).toMatchObject({ actor: 'bo', correlationId: 'flow' });
      expect(Object.keys(second!).sort()).toEqual(['events', 'streamId', 'version']);
    });

    it('gives every other command what handle would give', async () => {
      const existing = newStream();
      await handler.handle(tally, existing, { type: 'Count', by: 3 }, actor);
      const [fresh, refused, empty] = [newStream(), newStream(), newStream()];
      const outcomes = await handler.handleOnNewStreams(tally, [
        // Decided against a new stream, but the stream exists: appended after its events.
        { streamId: existing, command: { type: 'Count', by: 1 }, context: actor },
        // Refused against a new stream but holding against the real one.
        { streamId: existing, command: { type: 'Count', by: 1, atLeast: 3 }, context: actor },
        { streamId: fresh, command: { type: 'Count', by: 1 }, context: actor },
        // Named twice: decided against what the first one wrote.
        { streamId: fresh, command: { type: 'Count', by: 1, atLeast: 1 }, context: actor },
        { streamId: refused, command: { type: 'Count', by: 1, atLeast: 5 }, context: actor },
        { streamId: empty, command: { type: 'Count', by: 0 }, context: actor },
        // The store's own refusal (a stream id over its 512 characters) comes back as it is.
        { streamId: 'x'.repeat(600), command: { type: 'Count', by: 1 }, context: actor },
      ]);
      expect(outcomes.map((o) => o.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
        'rejected',
      ]);
      const value = (index: number) =>
        (outcomes[index] as PromiseFulfilledResult<{ version: number; events: readonly unknown[] }>).value;
      // The two on the existing stream are handled one after the other, in either order: versions 4 and 5.
      expect([value(0).version, value(1).version].sort()).toEqual([4, 5]);
      expect(value(2).version).toBe(1);
      expect(value(3).version).toBe(2);
      expect((outcomes[4] as PromiseRejectedResult).reason).toEqual(
        new Error('the tally is at 0, not yet 5'),
      );
      expect(value(5)).toEqual({ streamId: empty, events: [], version: 0 });
      expect(String((outcomes[6] as PromiseRejectedResult).reason)).toContain('512');
      expect((await handler.load(tally, existing)).state.total).toBe(5);
      expect(await store.readStream(refused)).toEqual([]);
    });

    it('takes the later commands on a stream named twice in their order', async () => {
      const streamId = newStream();
      const outcomes = await handler.handleOnNewStreams(tally, [
        { streamId, command: { type: 'Count', by: 1 }, context: actor },
        { streamId, command: { type: 'Count', by: 1, atLeast: 1 }, context: actor },
        { streamId, command: { type: 'Count', by: 1, atLeast: 2 }, context: actor },
      ]);
      expect(outcomes.map((o) => (o as PromiseFulfilledResult<{ version: number }>).value.version)).toEqual([
        1, 2, 3,
      ]);
    });

    it('answers a retry under the same key with the events first recorded', async () => {
      const streamId = newStream();
      const command = {
        streamId,
        command: { type: 'Count' as const, by: 1 },
        context: { actor: 'ana', idempotencyKey: 'k-r' },
      };
      const [first] = await handler.handleOnNewStreams(tally, [command]);
      const [again] = await handler.handleOnNewStreams(tally, [command]);
      expect(again).toEqual(first);
      expect((await store.readStream(streamId)).length).toBe(1);
    });

    it('calls the store once for the new streams, and not again for what it refused', async () => {
      const calls: string[] = [];
      const counted = new Proxy(store, {
        get(target, property) {
          const value = Reflect.get(target, property) as unknown;
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            if (property === 'append' || property === 'appendMany') calls.push(property);
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
      const batch = new CommandHandler(counted, { registry });
      await batch.handleOnNewStreams(tally, [
        { streamId: newStream(), command: { type: 'Count', by: 1 }, context: actor },
        { streamId: newStream(), command: { type: 'Count', by: 1 }, context: actor },
        { streamId: 'x'.repeat(600), command: { type: 'Count', by: 1 }, context: actor },
      ]);
      expect(calls).toEqual(['appendMany']);
      calls.length = 0;
      // Nothing to append (an empty decision, a refusal on a stream that does not exist): no call at all.
      await batch.handleOnNewStreams(tally, [
        { streamId: newStream(), command: { type: 'Count', by: 0 }, context: actor },
      ]);
      expect(calls).toEqual([]);
    });
  });
});
