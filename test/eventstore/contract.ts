/**
 * The event store contract: every adapter runs this suite (test/eventstore/eventStore.test.ts).
 * Streams get unique names per test, and global-order checks start from the log's current end,
 * so the suite also runs against a shared server that cannot be emptied (EventStoreDB).
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  START,
  WrongExpectedVersionError,
  type AppendResult,
  type Checkpoint,
  type EventStore,
  type RecordedEvent,
} from '../../src/eventstore/index.js';

export interface ContractFixture {
  readonly store: EventStore;
  /** Rewrites an event's data behind the store's back; absent where the backend cannot. */
  readonly tamper?: (streamId: string, version: number, data: unknown) => Promise<void>;
  /** Alters an event's data and stores the hash recomputed over it, leaving its successor's link as it was. */
  readonly rehash?: (streamId: string, version: number, data: unknown) => Promise<void>;
  close(): Promise<void>;
}

export function eventStoreContract(name: string, open: () => Promise<ContractFixture>): void {
  describe(`event store contract: ${name}`, () => {
    let fixture: ContractFixture;
    let store: EventStore;
    beforeAll(async () => {
      fixture = await open();
      store = fixture.store;
    });
    afterAll(async () => {
      await fixture?.close();
    });

    const actor = { actor: 'user:alice' };
    const stream = (prefix: string) => `${prefix}-${randomUUID()}`;

    async function endOfLog(): Promise<Checkpoint> {
      let checkpoint = START;
      for (;;) {
        const page = await store.readAll(checkpoint, 1000);
        if (page.events.length === 0) return checkpoint;
        checkpoint = page.checkpoint;
      }
    }

    /**
     * readAll until the wanted events are visible. On PostgreSQL any open transaction in the
     * cluster (another test file, another database) holds readers back until it ends: later
     * events become visible late, never out of order.
     */
    async function readAllVisible(from: Checkpoint, wanted: readonly string[]) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const result = await store.readAll(from, 1000);
        const seen = new Set(result.events.map((e) => e.eventId));
        if (wanted.every((id) => seen.has(id)) || Date.now() > deadline) return result;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    it('reads back what was appended, forwards, backwards and from a version', async () => {
      const id = stream('roundTrip');
      const first = await store.append(
        id,
        [
          {
            type: 'DatasetRegistered',
            data: { name: 'alpaca', rows: 52002, tags: ['en'], nested: { z: 1, a: null } },
          },
          { type: 'DatasetRevised', schemaVersion: 2, data: { revision: 2, note: 'naïve — ünïcode ✓' } },
        ],
        'no_stream',
        actor,
      );
      expect(first.nextExpectedVersion).toBe(2);
      const second = await store.append(id, [{ type: 'DatasetArchived', data: {} }], 2, actor);
      expect(second.nextExpectedVersion).toBe(3);

      const events = await store.readStream(id);
      expect(events.map((e) => [e.streamVersion, e.type, e.schemaVersion])).toEqual([
        [1, 'DatasetRegistered', 1],
        [2, 'DatasetRevised', 2],
        [3, 'DatasetArchived', 1],
      ]);
      expect(events[0]!.data).toEqual({
        name: 'alpaca',
        rows: 52002,
        tags: ['en'],
        nested: { z: 1, a: null },
      });
      expect(events[1]!.data).toEqual({ revision: 2, note: 'naïve — ünïcode ✓' });
      expect(events.map((e) => e.eventId)).toEqual([...first.events, ...second.events].map((e) => e.eventId));
      expect(events.map((e) => e.streamId)).toEqual([id, id, id]);

      const backwards = await store.readStream(id, { direction: 'backwards' });
      expect(backwards.map((e) => e.streamVersion)).toEqual([3, 2, 1]);
      const fromTwo = await store.readStream(id, { from: 2, limit: 1 });
      expect(fromTwo.map((e) => e.streamVersion)).toEqual([2]);
      const backFromTwo = await store.readStream(id, { from: 2, direction: 'backwards' });
      expect(backFromTwo.map((e) => e.streamVersion)).toEqual([2, 1]);
      expect(await store.readStream(stream('missing'))).toEqual([]);
    });

    it('honours every expected-version mode and says what was wrong', async () => {
      const id = stream('expected');
      const one = [{ type: 'Happened', data: { n: 1 } }];
      await expect(store.append(id, one, 'stream_exists', actor)).rejects.toMatchObject({
        code: 'WRONG_EXPECTED_VERSION',
        streamId: id,
        expected: 'stream_exists',
        actual: 0,
      });
      await expect(store.append(id, one, 1, actor)).rejects.toBeInstanceOf(WrongExpectedVersionError);
      expect((await store.append(id, one, 'no_stream', actor)).nextExpectedVersion).toBe(1);
      await expect(store.append(id, one, 'no_stream', actor)).rejects.toMatchObject({
        code: 'WRONG_EXPECTED_VERSION',
        expected: 'no_stream',
        actual: 1,
      });
      await expect(store.append(id, one, 0, actor)).rejects.toMatchObject({ expected: 0, actual: 1 });
      await expect(store.append(id, one, 2, actor)).rejects.toMatchObject({ expected: 2, actual: 1 });
      expect((await store.append(id, one, 1, actor)).nextExpectedVersion).toBe(2);
      expect((await store.append(id, one, 'stream_exists', actor)).nextExpectedVersion).toBe(3);
      expect((await store.append(id, one, 'any', actor)).nextExpectedVersion).toBe(4);
      expect((await store.append(stream('anyNew'), one, 'any', actor)).nextExpectedVersion).toBe(1);
      expect((await store.append(stream('zeroNew'), one, 0, actor)).nextExpectedVersion).toBe(1);
      const error = await store.append(id, one, 1, actor).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WrongExpectedVersionError);
      expect((error as Error).message).toContain(id);
      expect((await store.readStream(id)).length).toBe(4);
    });

    it('records a retried append once and returns the original events', async () => {
      const id = stream('idempotent');
      const batch = [
        { eventId: randomUUID(), type: 'RunRequested', data: { lr: 0.0002 } },
        { eventId: randomUUID(), type: 'RunQueued', data: {} },
      ];
      const original = await store.append(id, batch, 'no_stream', actor);
      await store.append(id, [{ type: 'RunStarted', data: {} }], 2, actor);
      // The retry still says 'no_stream', which no longer holds: it is recognised, not refused.
      const retry = await store.append(id, batch, 'no_stream', actor);
      expect(retry.nextExpectedVersion).toBe(2);
      expect(retry.events.map((e) => [e.eventId, e.streamVersion, e.checkpoint])).toEqual(
        original.events.map((e) => [e.eventId, e.streamVersion, e.checkpoint]),
      );
      const retryAny = await store.append(id, batch, 'any', actor);
      expect(retryAny.events.map((e) => e.eventId)).toEqual(batch.map((e) => e.eventId));
      expect((await store.readStream(id)).map((e) => e.type)).toEqual([
        'RunRequested',
        'RunQueued',
        'RunStarted',
      ]);

      const mixed = [batch[0]!, { eventId: randomUUID(), type: 'RunCancelled', data: {} }];
      await expect(store.append(id, mixed, 'any', actor)).rejects.toMatchObject({
        code: 'IDEMPOTENCY_CONFLICT',
      });
      expect((await store.readStream(id)).length).toBe(3);
    });

    it('stamps metadata and chains hashes', async () => {
      const id = stream('metadata');
      const before = Date.now();
      const first = await store.append(
        id,
        [
          { type: 'A', data: { b: 2, a: 1 } },
          { type: 'B', data: [1, 'two'] },
        ],
        'no_stream',
        { actor: 'worker:train-1' },
      );
      const causationId = first.events[1]!.eventId;
      await store.append(id, [{ type: 'C', data: 'text' }], 2, {
        actor: 'user:bob',
        correlationId: 'corr-42',
        causationId,
      });
      const [a, b, c] = await store.readStream(id);
      for (const event of [a!, b!, c!]) {
        // UUIDv7: version nibble 7, variant 10xx, and a millisecond timestamp in the first 48 bits.
        expect(event.eventId).toMatch(
          /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );
        const millis = parseInt(event.eventId.replace(/-/g, '').slice(0, 12), 16);
        expect(millis).toBeGreaterThanOrEqual(before - 1000);
        expect(Date.parse(event.metadata.recordedAt)).toBeGreaterThanOrEqual(before - 1000);
        expect(Date.parse(event.metadata.recordedAt)).toBeLessThanOrEqual(Date.now() + 1000);
        expect(event.metadata.hash).toMatch(/^[0-9a-f]{64}$/);
      }
      expect(a!.metadata).toMatchObject({
        actor: 'worker:train-1',
        correlationId: a!.eventId,
        causationId: null,
      });
      expect(b!.metadata.correlationId).toBe(a!.eventId);
      expect(c!.metadata).toMatchObject({ actor: 'user:bob', correlationId: 'corr-42', causationId });
      expect(a!.metadata.previousHash).toBeNull();
      expect(b!.metadata.previousHash).toBe(a!.metadata.hash);
      expect(c!.metadata.previousHash).toBe(b!.metadata.hash);
      expect(first.events.map((e) => e.metadata)).toEqual([a!.metadata, b!.metadata]);

      // The hash is sha256 over this exact text (keys sorted, no spaces), written out by hand.
      const text =
        `{"actor":"worker:train-1","causationId":null,"correlationId":"${a!.eventId}","data":{"a":1,"b":2},` +
        `"eventId":"${a!.eventId}","previousHash":null,"recordedAt":"${a!.metadata.recordedAt}",` +
        `"schemaVersion":1,"streamId":"${id}","streamVersion":1,"type":"A"}`;
      expect(a!.metadata.hash).toBe(createHash('sha256').update(text).digest('hex'));
      expect(await store.verify(id)).toEqual({ ok: true, streamId: id, eventsChecked: 3 });
    });

    it('detects an event altered behind its back', async (context) => {
      if (!fixture.tamper) {
        context.skip(`${name} cannot alter a stored event, so tampering cannot be staged`);
        return;
      }
      const id = stream('tamper');
      await store.append(
        id,
        [1, 2, 3, 4].map((n) => ({ type: 'MetricLogged', data: { step: n, loss: 1 / n } })),
        'no_stream',
        actor,
      );
      expect((await store.verify(id)).ok).toBe(true);
      await fixture.tamper(id, 3, { step: 3, loss: 0.001 });
      const result = await store.verify(id);
      expect(result).toMatchObject({ ok: false, streamId: id, firstBrokenVersion: 3 });
      expect(result.reason).toMatch(/altered/);
    });

    it('detects an event re-hashed over altered content by the link its successor still holds', async (context) => {
      if (!fixture.rehash) {
        context.skip(`${name} cannot alter a stored event, so tampering cannot be staged`);
        return;
      }
      const id = stream('rehash');
      await store.append(
        id,
        [1, 2, 3, 4].map((n) => ({ type: 'MetricLogged', data: { step: n, loss: 1 / n } })),
        'no_stream',
        actor,
      );
      await fixture.rehash(id, 3, { step: 3, loss: 0.001 });
      // Version 3's own hash matches its new content: only version 4's previousHash gives it away.
      const result = await store.verify(id);
      expect(result).toMatchObject({ ok: false, streamId: id, firstBrokenVersion: 4 });
      expect(result.reason).toMatch(/previousHash does not match the hash of version 3/);
    });

    it('keeps one global order across streams, page by page', async () => {
      const from = await endOfLog();
      const ids = [stream('orderA'), stream('orderB'), stream('orderC')];
      const appended: RecordedEvent[] = [];
      for (let round = 0; round < 4; round += 1) {
        for (const id of ids) {
          const size = 1 + ((round + ids.indexOf(id)) % 3);
          const result = await store.append(
            id,
            Array.from({ length: size }, (_, i) => ({ type: 'Tick', data: { round, i } })),
            'any',
            actor,
          );
          appended.push(...result.events);
        }
      }
      const whole = await readAllVisible(
        from,
        appended.map((e) => e.eventId),
      );
      const mine = whole.events.filter((e) => ids.includes(e.streamId));
      expect(mine.map((e) => e.eventId)).toEqual(appended.map((e) => e.eventId));
      expect(mine.map((e) => e.checkpoint)).toEqual(appended.map((e) => e.checkpoint));
      const checkpoints = whole.events.map((e) => e.checkpoint);
      for (let i = 1; i < checkpoints.length; i += 1)
        expect(checkpoints[i]! > checkpoints[i - 1]!).toBe(true);
      expect(checkpoints[0]! > from).toBe(true);
      expect(from >= START).toBe(true);

      const paged: string[] = [];
      let checkpoint = from;
      for (;;) {
        const page = await store.readAll(checkpoint, 4);
        expect(page.events.length).toBeLessThanOrEqual(4);
        if (page.events.length === 0) {
          expect(page.checkpoint).toBe(checkpoint);
          break;
        }
        paged.push(...page.events.map((e) => e.eventId));
        checkpoint = page.checkpoint;
      }
      expect(paged).toEqual(whole.events.map((e) => e.eventId));
    });

    it('reads only the event types asked for, in order, page by page', async () => {
      const id = stream('typed');
      const head = await store.head();
      const appended = await store.append(
        id,
        Array.from({ length: 9 }, (_, i) => ({
          type: ['TypedKept', 'TypedSkipped', 'TypedAlsoKept'][i % 3]!,
          data: { i },
        })),
        'no_stream',
        actor,
      );
      const kept = appended.events.filter((e) => e.type !== 'TypedSkipped').map((e) => e.eventId);
      await readAllVisible(head, kept);
      const paged: RecordedEvent[] = [];
      let checkpoint = head;
      for (;;) {
        const page = await store.readAll(checkpoint, 2, { types: ['TypedKept', 'TypedAlsoKept'] });
        expect(page.events.length).toBeLessThanOrEqual(2);
        if (page.events.length === 0) break;
        paged.push(...page.events);
        expect(page.checkpoint).toBe(page.events.at(-1)!.checkpoint);
        checkpoint = page.checkpoint;
      }
      expect(paged.filter((e) => e.streamId === id).map((e) => e.eventId)).toEqual(kept);
      expect(paged.every((e) => e.type === 'TypedKept' || e.type === 'TypedAlsoKept')).toBe(true);
      expect((await store.readAll(head, 100, { types: [] })).events).toEqual([]);
    });

    it('refuses bad input and writes nothing of a bad batch', async () => {
      const id = stream('invalid');
      await expect(store.append('', [{ type: 'A', data: {} }], 'any', actor)).rejects.toMatchObject({
        code: 'INVALID_EVENT',
      });
      await expect(store.append(id, [], 'any', actor)).rejects.toMatchObject({ code: 'INVALID_EVENT' });
      const bad: unknown[] = [Number.NaN, 10n, new Date(), { f: () => 1 }, undefined];
      for (const data of bad) {
        await expect(
          store.append(
            id,
            [
              { type: 'Ok', data: { fine: true } },
              { type: 'Bad', data },
            ],
            'any',
            actor,
          ),
        ).rejects.toMatchObject({ code: 'INVALID_EVENT' });
      }
      await expect(store.append(id, [{ type: 'A', data: {} }], 'any', { actor: '' })).rejects.toMatchObject({
        code: 'INVALID_EVENT',
      });
      await expect(
        store.append(id, [{ eventId: 'not-a-uuid', type: 'A', data: {} }], 'any', actor),
      ).rejects.toMatchObject({ code: 'INVALID_EVENT' });
      expect(await store.readStream(id)).toEqual([]);
    });

    it('names the head of the log: the newest event readAll gives, with nothing after it yet', async () => {
      const id = stream('head');
      const appended = await store.append(
        id,
        [
          { type: 'Tick', data: { n: 1 } },
          { type: 'Tick', data: { n: 2 } },
        ],
        'no_stream',
        actor,
      );
      const last = appended.events.at(-1)!.checkpoint;
      // On PostgreSQL other transactions in the cluster may hold the head back for a moment.
      await expect
        .poll(async () => (await store.head()) >= last, { timeout: 15_000, interval: 50 })
        .toBe(true);
      const head = await store.head();
      const after = await store.readAll(head, 1000);
      expect(after.events.filter((e) => e.streamId === id)).toEqual([]);
      const upTo = await store.readAll(appended.events[0]!.checkpoint, 1000);
      expect(upTo.events.some((e) => e.checkpoint === head) || head === last).toBe(true);
    });

    it('appends to several streams at once, each chained after its own head', async () => {
      const from = await endOfLog();
      const existing = stream('manyExisting');
      const fresh = stream('manyFresh');
      const untouched = stream('manyUntouched');
      await store.append(existing, [{ type: 'Opened', data: { n: 0 } }], 'no_stream', actor);
      expect(await store.appendMany([])).toEqual([]);
      const outcomes = await store.appendMany([
        {
          streamId: fresh,
          events: [
            { type: 'A', data: { n: 1 } },
            { type: 'B', data: { n: 2 } },
          ],
          expected: 'no_stream',
          context: { actor: 'worker:capture' },
        },
        { streamId: existing, events: [{ type: 'C', data: { n: 3 } }], expected: 1, context: actor },
        {
          streamId: stream('manyAny'),
          events: [{ type: 'D', data: {} }],
          expected: 'any',
          context: { actor: 'user:bob', correlationId: 'corr-7' },
        },
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      const [freshResult, existingResult, anyResult] = outcomes.map(
        (o) => (o as PromiseFulfilledResult<AppendResult>).value,
      );
      expect(freshResult!.nextExpectedVersion).toBe(2);
      expect(existingResult!.nextExpectedVersion).toBe(2);
      expect(anyResult!.events[0]!.metadata).toMatchObject({ actor: 'user:bob', correlationId: 'corr-7' });
      // What appendMany returned is what the stream holds, hash chain included.
      const freshEvents = await store.readStream(fresh);
      expect(freshEvents).toEqual(freshResult!.events);
      expect(freshEvents.map((e) => e.metadata.actor)).toEqual(['worker:capture', 'worker:capture']);
      expect(freshEvents[1]!.metadata.previousHash).toBe(freshEvents[0]!.metadata.hash);
      const existingEvents = await store.readStream(existing);
      expect(existingEvents.map((e) => e.type)).toEqual(['Opened', 'C']);
      expect(existingEvents[1]).toEqual(existingResult!.events[0]);
      expect(existingEvents[1]!.metadata.previousHash).toBe(existingEvents[0]!.metadata.hash);
      for (const id of [fresh, existing]) expect((await store.verify(id)).ok).toBe(true);
      expect(await store.readStream(untouched)).toEqual([]);
      // Every written event is in the global log, at the checkpoint appendMany gave it.
      const written = outcomes.flatMap((o) => (o as PromiseFulfilledResult<AppendResult>).value.events);
      const all = await readAllVisible(
        from,
        written.map((e) => e.eventId),
      );
      const checkpoints = new Map(all.events.map((e) => [e.eventId, e.checkpoint]));
      for (const event of written) expect(checkpoints.get(event.eventId)).toBe(event.checkpoint);
    });

    it('keeps each stream of appendMany atomic and independent: a refused one leaves the others written', async () => {
      const taken = stream('manyTaken');
      await store.append(taken, [{ type: 'First', data: {} }], 'no_stream', actor);
      const ok = stream('manyOk');
      const invalid = stream('manyInvalid');
      const outcomes = await store.appendMany([
        { streamId: taken, events: [{ type: 'Second', data: {} }], expected: 'no_stream', context: actor },
        { streamId: ok, events: [{ type: 'Fine', data: { n: 1 } }], expected: 'no_stream', context: actor },
        {
          streamId: invalid,
          events: [
            { type: 'Ok', data: { fine: true } },
            { type: 'Bad', data: Number.NaN },
          ],
          expected: 'any',
          context: actor,
        },
        {
          streamId: stream('manyMissing'),
          events: [{ type: 'X', data: {} }],
          expected: 'stream_exists',
          context: actor,
        },
        { streamId: stream('manyEmpty'), events: [], expected: 'any', context: actor },
      ]);
      expect(outcomes.map((o) => o.status)).toEqual([
        'rejected',
        'fulfilled',
        'rejected',
        'rejected',
        'rejected',
      ]);
      expect((outcomes[0] as PromiseRejectedResult).reason).toMatchObject({
        code: 'WRONG_EXPECTED_VERSION',
        streamId: taken,
        expected: 'no_stream',
        actual: 1,
      });
      expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'INVALID_EVENT' });
      expect((outcomes[3] as PromiseRejectedResult).reason).toMatchObject({
        code: 'WRONG_EXPECTED_VERSION',
        expected: 'stream_exists',
        actual: 0,
      });
      expect((outcomes[4] as PromiseRejectedResult).reason).toMatchObject({ code: 'INVALID_EVENT' });
      expect((await store.readStream(taken)).map((e) => e.type)).toEqual(['First']);
      expect((await store.readStream(ok)).map((e) => e.type)).toEqual(['Fine']);
      expect(await store.readStream(invalid)).toEqual([]);

      // A stream named twice is refused before anything is written.
      const twice = stream('manyTwice');
      const other = stream('manyOther');
      await expect(
        store.appendMany([
          { streamId: twice, events: [{ type: 'A', data: {} }], expected: 'any', context: actor },
          { streamId: other, events: [{ type: 'A', data: {} }], expected: 'any', context: actor },
          { streamId: twice, events: [{ type: 'B', data: {} }], expected: 'any', context: actor },
        ]),
      ).rejects.toMatchObject({ code: 'INVALID_EVENT', message: expect.stringContaining(twice) });
      expect(await store.readStream(twice)).toEqual([]);
      expect(await store.readStream(other)).toEqual([]);
    });

    it('records a retried appendMany once per stream and returns the original events', async () => {
      const first = stream('manyRetryA');
      const second = stream('manyRetryB');
      const batch = (id: string, type: string) => ({
        streamId: id,
        events: [
          { eventId: randomUUID(), type, data: { n: 1 } },
          { eventId: randomUUID(), type, data: { n: 2 } },
        ],
        expected: 'no_stream' as const,
        context: actor,
      });
      const appends = [batch(first, 'A'), batch(second, 'B')];
      const original = await store.appendMany(appends);
      const retry = await store.appendMany(appends);
      const view = (outcomes: PromiseSettledResult<AppendResult>[]) =>
        outcomes.map((o) =>
          (o as PromiseFulfilledResult<AppendResult>).value.events.map((e) => [
            e.eventId,
            e.streamVersion,
            e.checkpoint,
            e.metadata.hash,
          ]),
        );
      expect(retry.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
      expect(view(retry)).toEqual(view(original));
      // The same through append, and append's retry through appendMany: one store, one set of rules.
      const single = await store.append(first, appends[0]!.events, 'no_stream', actor);
      expect(single.events.map((e) => e.eventId)).toEqual(appends[0]!.events.map((e) => e.eventId));
      expect((await store.readStream(first)).length).toBe(2);
      expect((await store.readStream(second)).length).toBe(2);

      // Known ids mixed with new ones are refused for that stream only.
      const mixed = await store.appendMany([
        {
          streamId: first,
          events: [appends[0]!.events[0]!, { eventId: randomUUID(), type: 'C', data: {} }],
          expected: 'any',
          context: actor,
        },
        {
          streamId: stream('manyRetryC'),
          events: [{ type: 'D', data: {} }],
          expected: 'any',
          context: actor,
        },
      ]);
      expect(mixed.map((o) => o.status)).toEqual(['rejected', 'fulfilled']);
      expect((mixed[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
      expect((await store.readStream(first)).length).toBe(2);
    });

    it('subscribes: catches up, then delivers new events live, in order', async () => {
      const from = await endOfLog();
      const id = stream('subscribe');
      await store.append(
        id,
        [
          { type: 'Old', data: { n: 1 } },
          { type: 'Old', data: { n: 2 } },
        ],
        'no_stream',
        actor,
      );
      const subscription = store.subscribe(from);
      const received: RecordedEvent[] = [];
      const done = (async () => {
        for await (const event of subscription) {
          if (event.streamId !== id) continue;
          received.push(event);
          if (received.length === 5) break;
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await store.append(id, [{ type: 'New', data: { n: 3 } }], 2, actor);
      await store.append(
        id,
        [
          { type: 'New', data: { n: 4 } },
          { type: 'New', data: { n: 5 } },
        ],
        3,
        actor,
      );
      await done;
      await subscription.close();
      expect(received.map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3, 4, 5]);
      expect(received.map((e) => e.streamVersion)).toEqual([1, 2, 3, 4, 5]);
    });
  });
}
