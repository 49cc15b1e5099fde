/**
 * Races that only real PostgreSQL (several connections) can stage: concurrent writers on one
 * stream, a transaction that commits after later ones (the "gap"), and a subscription under load.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  START,
  WrongExpectedVersionError,
  openDatabase,
  PostgresEventStore,
  type Database,
  type RecordedEvent,
} from '../../src/eventstore/index.js';
import { openDatabaseUrl, postgresSkipReason } from '../support/databases.js';

if (postgresSkipReason) console.warn(`postgres.race.test.ts skipped: ${postgresSkipReason}`);

describe.skipIf(postgresSkipReason !== undefined)('event store races on PostgreSQL', () => {
  let url: string;
  let drop: () => Promise<void>;
  let database: Database;
  const actor = { actor: 'test:race' };

  beforeAll(async () => {
    ({ url, drop } = await openDatabaseUrl());
    database = await openDatabase({ databaseUrl: url, poolSize: 16 });
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });

  /**
   * readAll until `count` events of interest are visible: an open transaction anywhere in the
   * cluster (parallel test files) may hold readers back for a while, never reorder them.
   */
  async function readUntil(from: string, count: number, relevant: (event: RecordedEvent) => boolean) {
    const reader = new PostgresEventStore(database);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const result = await reader.readAll(from, 1000);
      if (result.events.filter(relevant).length >= count || Date.now() > deadline) return result;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** A transaction held open until commit() is called, with an event store writing inside it. */
  async function heldTransaction() {
    let release!: () => void;
    let opened!: (trx: Transaction<unknown>) => void;
    const trxReady = new Promise<Transaction<unknown>>((resolve) => (opened = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const finished = database.db.transaction().execute(async (trx) => {
      opened(trx);
      await released;
    });
    const trx = await trxReady;
    // Take the transaction id now, so this transaction is "older" than anything that starts later.
    await sql`SELECT pg_current_xact_id()`.execute(trx);
    return {
      store: new PostgresEventStore({ ...database, db: trx as Kysely<unknown> }),
      async commit() {
        release();
        await finished;
      },
    };
  }

  it('appendMany batches racing over the same streams in opposite orders: no deadlock, every chain whole', async () => {
    const ids = Array.from({ length: 6 }, (_, i) => `manyRace-${i}-${randomUUID()}`);
    const batches = 8;
    const rounds = 3;
    // Each batch names every stream; half list them backwards. Every batch comes from its own store, so
    // heads go stale under it and new streams are created by several batches at once.
    const outcomes = await Promise.all(
      Array.from({ length: batches }, async (_, b) => {
        const store = new PostgresEventStore(database);
        const order = b % 2 === 0 ? ids : [...ids].reverse();
        const results: PromiseSettledResult<unknown>[] = [];
        for (let round = 0; round < rounds; round += 1) {
          results.push(
            ...(await store.appendMany(
              order.map((streamId) => ({
                streamId,
                events: [{ type: 'Counted', data: { b, round } }],
                expected: 'any' as const,
                context: actor,
              })),
            )),
          );
        }
        return results;
      }),
    );
    expect(outcomes.flat().filter((o) => o.status === 'rejected')).toEqual([]);
    const reader = new PostgresEventStore(database);
    for (const id of ids) {
      const events = await reader.readStream(id);
      expect(events.map((e) => e.streamVersion)).toEqual(
        Array.from({ length: batches * rounds }, (_, i) => i + 1),
      );
      expect((await reader.verify(id)).ok).toBe(true);
    }

    // The creation race through appendMany: of 16 'no_stream' batches on one new stream, exactly one wins.
    const created = `manyCreate-${randomUUID()}`;
    const creations = await Promise.all(
      Array.from({ length: 16 }, (_, w) =>
        new PostgresEventStore(database).appendMany([
          {
            streamId: created,
            events: [{ type: 'Created', data: { w } }],
            expected: 'no_stream',
            context: actor,
          },
          {
            streamId: `manyBystander-${w}-${randomUUID()}`,
            events: [{ type: 'Created', data: { w } }],
            expected: 'no_stream',
            context: actor,
          },
        ]),
      ),
    );
    expect(creations.filter(([first]) => first!.status === 'fulfilled').length).toBe(1);
    for (const [first, bystander] of creations) {
      if (first!.status === 'rejected') expect(first!.reason).toBeInstanceOf(WrongExpectedVersionError);
      // A lost race on one stream never undoes the other stream of the same batch.
      expect(bystander!.status).toBe('fulfilled');
    }
    expect((await reader.readStream(created)).length).toBe(1);
  });

  it('32 writers racing on one stream: one success per version, nothing lost or doubled', async () => {
    const id = `race-${randomUUID()}`;
    const writers = 32;
    const perWriter = 2;

    // The creation race first: exactly one of 32 'no_stream' appends wins.
    const creations = await Promise.allSettled(
      Array.from({ length: writers }, (_, w) =>
        new PostgresEventStore(database).append(id, [{ type: 'Created', data: { w } }], 'no_stream', actor),
      ),
    );
    expect(creations.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of creations) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(WrongExpectedVersionError);
    }

    const successes: { writer: number; version: number; eventId: string }[] = [];
    let conflicts = 0;
    await Promise.all(
      Array.from({ length: writers }, async (_, writer) => {
        const store = new PostgresEventStore(database);
        for (let done = 0; done < perWriter;) {
          const version = (await store.readStream(id, { direction: 'backwards', limit: 1 }))[0]!
            .streamVersion;
          try {
            const result = await store.append(
              id,
              [{ type: 'Bumped', data: { writer, done } }],
              version,
              actor,
            );
            successes.push({
              writer,
              version: result.nextExpectedVersion,
              eventId: result.events[0]!.eventId,
            });
            done += 1;
          } catch (error) {
            if (!(error instanceof WrongExpectedVersionError)) throw error;
            expect(error.actual).toBeGreaterThan(version);
            conflicts += 1;
          }
        }
      }),
    );
    const total = 1 + writers * perWriter;
    expect(successes.map((s) => s.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: writers * perWriter }, (_, i) => i + 2),
    );
    expect(conflicts).toBeGreaterThan(0);
    const events = await new PostgresEventStore(database).readStream(id);
    expect(events.map((e) => e.streamVersion)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(new Set(events.map((e) => e.eventId)).size).toBe(total);
    const byVersion = new Map(events.map((e) => [e.streamVersion, e]));
    for (const success of successes) {
      expect(byVersion.get(success.version)!.eventId).toBe(success.eventId);
      expect(byVersion.get(success.version)!.data).toMatchObject({ writer: success.writer });
    }
    expect(await new PostgresEventStore(database).verify(id)).toEqual({
      ok: true,
      streamId: id,
      eventsChecked: total,
    });
  });

  it('a transaction that started first and commits last is still delivered (the gap race)', async () => {
    const reader = new PostgresEventStore(database);
    const before = await reader.append(
      `gap-${randomUUID()}`,
      [{ type: 'Before', data: {} }],
      'no_stream',
      actor,
    );
    let checkpoint = before.events[0]!.checkpoint;

    const slow = await heldTransaction();
    const slowStream = `gap-slow-${randomUUID()}`;
    await slow.store.append(slowStream, [{ type: 'Slow', data: { n: 1 } }], 'no_stream', actor);

    const fastStream = `gap-fast-${randomUUID()}`;
    const fast = await new PostgresEventStore(database).append(
      fastStream,
      [
        { type: 'Fast', data: { n: 1 } },
        { type: 'Fast', data: { n: 2 } },
      ],
      'no_stream',
      actor,
    );
    // The later transaction has committed, but the reader must not move past the open one.
    const whileOpen = await reader.readAll(checkpoint, 100);
    expect(whileOpen.events.filter((e) => e.streamId === fastStream)).toEqual([]);
    checkpoint = whileOpen.checkpoint;
    expect(checkpoint < fast.events[0]!.checkpoint).toBe(true);

    await slow.commit();
    const isMine = (e: RecordedEvent) => e.streamId === slowStream || e.streamId === fastStream;
    const afterCommit = await readUntil(checkpoint, 3, isMine);
    const mine = afterCommit.events.filter(isMine);
    expect(mine.map((e) => `${e.type}${(e.data as { n: number }).n}`)).toEqual(['Slow1', 'Fast1', 'Fast2']);
  });

  it('does not skip a slow transaction that wrote first but has the later transaction id', async () => {
    const reader = new PostgresEventStore(database);
    const first = await heldTransaction(); // lower transaction id, commits first
    const second = await heldTransaction(); // higher transaction id, but writes the lower position
    const from = (await reader.readAll(START, 1_000_000)).checkpoint;

    await second.store.append(`late-${randomUUID()}`, [{ type: 'Late', data: {} }], 'no_stream', actor);
    const early = await first.store.append(
      `early-${randomUUID()}`,
      [{ type: 'Early', data: {} }],
      'no_stream',
      actor,
    );
    await first.commit();

    const isTest = (e: RecordedEvent) => e.type === 'Early' || e.type === 'Late';
    const firstPoll = await readUntil(from, 1, isTest);
    expect(firstPoll.events.filter(isTest).map((e) => e.type)).toEqual(['Early']);
    expect(firstPoll.checkpoint).toBe(early.events[0]!.checkpoint);

    await second.commit();
    const secondPoll = await readUntil(firstPoll.checkpoint, 1, isTest);
    expect(secondPoll.events.filter(isTest).map((e) => e.type)).toEqual(['Late']);
  });

  it('a subscription receives every event exactly once, in order, while several writers append', async () => {
    const from = (await new PostgresEventStore(database).readAll(START, 1_000_000)).checkpoint;
    const subscriber = await openDatabase({ databaseUrl: url, poolSize: 2 });
    const subscription = new PostgresEventStore(subscriber, { pollIntervalMs: 100, batchSize: 7 }).subscribe(
      from,
    );
    const writers = 4;
    const perWriter = 30;
    const expected = writers * perWriter;
    const received: RecordedEvent[] = [];
    // Only this test's streams count: events of earlier tests may become visible late.
    const tag = randomUUID();
    const receiving = (async () => {
      for await (const event of subscription) {
        if (!event.streamId.endsWith(tag)) continue;
        received.push(event);
        if (received.length >= expected) break;
      }
    })();
    try {
      const written = await Promise.all(
        Array.from({ length: writers }, async (_, writer) => {
          const store = new PostgresEventStore(database);
          const stream = `sub-${writer}-${tag}`;
          const ids: string[] = [];
          while (ids.length < perWriter) {
            const size = Math.min(perWriter - ids.length, 1 + (ids.length % 3));
            const result = await store.append(
              stream,
              Array.from({ length: size }, (_, i) => ({
                type: 'Written',
                data: { writer, i: ids.length + i },
              })),
              ids.length,
              actor,
            );
            ids.push(...result.events.map((e) => e.eventId));
          }
          return ids;
        }),
      );
      await Promise.race([
        receiving,
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error(`only ${received.length} received`)), 20_000),
        ),
      ]);
      expect(received).toHaveLength(expected);
      expect(new Set(received.map((e) => e.eventId)).size).toBe(expected);
      expect(new Set(received.map((e) => e.eventId))).toEqual(new Set(written.flat()));
      for (let i = 1; i < received.length; i += 1) {
        expect(received[i]!.checkpoint > received[i - 1]!.checkpoint).toBe(true);
      }
      for (const ids of written) {
        expect(received.filter((e) => ids.includes(e.eventId)).map((e) => e.eventId)).toEqual(ids);
      }
      const ours = (e: RecordedEvent) => e.streamId.endsWith(tag);
      const log = (await readUntil(from, expected, ours)).events.filter(ours);
      expect(received.map((e) => e.eventId)).toEqual(log.map((e) => e.eventId));
    } finally {
      await subscription.close();
      await subscriber.close();
    }
  });
});
