import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { PostgresEventStore, eventHash } from '../../src/eventstore/index.js';
import { hashedFieldsOf } from '../../src/eventstore/hashChain.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { eventStoreContract } from './contract.js';

for (const target of databaseTargets) {
  // One database per target for the whole file: PGlite takes seconds to start.
  let shared: Promise<TestDatabase> | undefined;
  const open = () => (shared ??= target.open());

  describe(`events table on ${target.name}`, () => {
    it('refuses UPDATE, DELETE and TRUNCATE', async () => {
      const database = await open();
      const store = new PostgresEventStore(database);
      await store.append('appendOnly-1', [{ type: 'A', data: { x: 1 } }], 'no_stream', { actor: 'test' });
      for (const statement of [
        sql`UPDATE events SET data = '{}'::jsonb`,
        sql`DELETE FROM events`,
        sql`TRUNCATE events`,
      ]) {
        await expect(statement.execute(database.db)).rejects.toThrow(/append-only/);
      }
      expect((await store.readStream('appendOnly-1'))[0]!.data).toEqual({ x: 1 });
    });
  });

  describe(`head on ${target.name}`, () => {
    it('is the newest event where its position as text orders differently (9 before 10)', async () => {
      // A database of its own: the positions must start at 1 so that this append spans 9 and 10.
      const database = await target.open();
      try {
        const store = new PostgresEventStore(database);
        const appended = await store.append(
          'headOrder-1',
          Array.from({ length: 10 }, (_, n) => ({ type: 'Noted', data: { n } })),
          'no_stream',
          { actor: 'test' },
        );
        expect(appended.events.at(-1)!.checkpoint).toMatch(/:0+10$/);
        // One transaction: once PostgreSQL shows any of it (other databases' transactions may hold it back), all of it.
        await expect.poll(() => store.head(), { timeout: 15_000, interval: 50 }).not.toBe('');
        expect(await store.head()).toBe(appended.events.at(-1)!.checkpoint);
      } finally {
        await database.close();
      }
    });
  });

  describe(`appendMany on ${target.name} with two stores (heads cached, stale or unknown)`, () => {
    it('chains after heads another store moved, and refuses a taken stream as append would', async () => {
      const database = await open();
      const writer = new PostgresEventStore(database);
      const batcher = new PostgresEventStore(database);
      const actor = { actor: 'test' };
      const moved = `movedHead-${randomUUID()}`;
      const unknown = `unknownHead-${randomUUID()}`;
      const taken = `takenByOther-${randomUUID()}`;
      await batcher.append(moved, [{ type: 'A', data: {} }], 'no_stream', actor); // batcher caches head 1
      await writer.append(moved, [{ type: 'B', data: {} }], 1, actor); // ...which is now stale
      await writer.append(unknown, [{ type: 'A', data: {} }], 'no_stream', actor); // never seen by batcher
      await writer.append(taken, [{ type: 'A', data: {} }], 'no_stream', actor);
      const outcomes = await batcher.appendMany([
        { streamId: moved, events: [{ type: 'C', data: {} }], expected: 'any', context: actor },
        { streamId: unknown, events: [{ type: 'B', data: {} }], expected: 1, context: actor },
        // Never seen and expected not to exist: taken to be empty, corrected by the database.
        { streamId: taken, events: [{ type: 'B', data: {} }], expected: 'no_stream', context: actor },
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
      expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({
        code: 'WRONG_EXPECTED_VERSION',
        actual: 1,
      });
      expect((await writer.readStream(moved)).map((e) => e.type)).toEqual(['A', 'B', 'C']);
      expect((await writer.readStream(unknown)).map((e) => e.type)).toEqual(['A', 'B']);
      expect((await writer.readStream(taken)).map((e) => e.type)).toEqual(['A']);
      for (const id of [moved, unknown, taken]) expect((await writer.verify(id)).ok).toBe(true);
    });
  });

  eventStoreContract(target.name, async () => {
    const database = await open();
    return {
      store: new PostgresEventStore(database, { pollIntervalMs: 50 }),
      async tamper(streamId, version, data) {
        await database.db.transaction().execute(async (trx) => {
          // Only a superuser can switch the append-only trigger off like this: the attack the hash chain exists for.
          await sql`SET LOCAL session_replication_role = replica`.execute(trx);
          await sql`UPDATE events SET data = ${JSON.stringify(data)}::jsonb
                    WHERE stream_id = ${streamId} AND stream_version = ${version}`.execute(trx);
        });
      },
      async rehash(streamId, version, data) {
        const [event] = await new PostgresEventStore(database).readStream(streamId, {
          from: version,
          limit: 1,
        });
        const hash = eventHash({ ...hashedFieldsOf(event!), data });
        await database.db.transaction().execute(async (trx) => {
          await sql`SET LOCAL session_replication_role = replica`.execute(trx);
          await sql`UPDATE events SET data = ${JSON.stringify(data)}::jsonb, hash = ${hash}
                    WHERE stream_id = ${streamId} AND stream_version = ${version}`.execute(trx);
        });
      },
      close: () => database.close(),
    };
  });
}
