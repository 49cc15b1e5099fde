import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { PostgresEventStore } from '../../src/eventstore/index.js';
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
      close: () => database.close(),
    };
  });
}
