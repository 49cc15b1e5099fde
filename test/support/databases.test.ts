import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import { databaseTargets, postgresUrl } from './databases.js';

for (const target of databaseTargets) {
  describe(`test databases: ${target.name}`, () => {
    it('opens migrated, resets to empty with triggers still on, and cleans up on close', async () => {
      const database = await target.open();
      let name: string | undefined;
      try {
        name = (await sql<{ name: string }>`SELECT current_database() AS name`.execute(database.db)).rows[0]!
          .name;
        const store = new PostgresEventStore(database);
        await store.append('support-1', [{ type: 'A', data: {} }], 'no_stream', { actor: 'test' });
        await database.reset();
        expect(await store.readAll('', 10)).toEqual({ events: [], checkpoint: '' });
        const { rows } = await sql<{ count: string }>`SELECT count(*)::text AS count FROM streams`.execute(
          database.db,
        );
        expect(rows[0]!.count).toBe('0');
        await store.append('support-1', [{ type: 'A', data: {} }], 'no_stream', { actor: 'test' });
        await expect(sql`DELETE FROM events`.execute(database.db)).rejects.toThrow(/append-only/);
      } finally {
        await database.close();
      }
      if (target.name === 'postgres') {
        const client = new pg.Client({ connectionString: postgresUrl });
        await client.connect();
        const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        await client.end();
        expect(rowCount).toBe(0);
      }
    });
  });
}
