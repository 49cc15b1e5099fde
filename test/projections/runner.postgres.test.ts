import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openDatabase,
  PostgresEventStore,
  type Database,
  type RecordedEvent,
} from '../../src/eventstore/index.js';
import { allProjections, ProjectionRunner, type Projection } from '../../src/projections/index.js';
import { appendLifecycle, generateLifecycle } from '../../bench/projections.js';
import { openDatabaseUrl, postgresSkipReason } from '../support/databases.js';

if (postgresSkipReason) {
  describe('projection runner on PostgreSQL', () => {
    it.skip(`skipped: ${postgresSkipReason}`, () => {});
  });
} else {
  describe('projection runner on PostgreSQL', () => {
    let url: string;
    let drop: () => Promise<void>;
    const opened: Database[] = [];
    const open = async () => {
      const database = await openDatabase({ databaseUrl: url, poolSize: 4 });
      opened.push(database);
      return database;
    };
    beforeAll(async () => {
      ({ url, drop } = await openDatabaseUrl());
      const database = await open();
      await sql`CREATE TABLE test_applied (projection text NOT NULL, event_id text NOT NULL, runner text NOT NULL)`.execute(
        database.db,
      );
    });
    afterAll(async () => {
      for (const database of opened) await database.close();
      await drop?.();
    });

    /** A projection that records every event it applies, in a table with no unique key, so a double apply shows. */
    function recording(name: string, runner: string, failOnce?: { nth: number }): Projection {
      let seen = 0;
      return {
        name,
        version: 1,
        handles: ['TrainingProgressReported', 'TrainingRunRequested', 'DatasetRevisionAdded'],
        tables: [],
        async apply(trx, event: RecordedEvent) {
          await sql`INSERT INTO test_applied VALUES (${name}, ${event.eventId}, ${runner})`.execute(trx);
          seen++;
          if (failOnce && seen === failOnce.nth) {
            failOnce.nth = -1;
            throw new Error('simulated crash in the middle of a batch');
          }
        },
      };
    }

    async function appliedRows(db: Kysely<unknown>, name: string) {
      const { rows } = await sql<{ total: string; distinct: string; runners: string }>`
        SELECT count(*) AS total, count(DISTINCT event_id) AS distinct, count(DISTINCT runner) AS runners
        FROM test_applied WHERE projection = ${name}`.execute(db);
      return {
        total: Number(rows[0]!.total),
        distinct: Number(rows[0]!.distinct),
        runners: Number(rows[0]!.runners),
      };
    }

    async function handledCount(db: Kysely<unknown>) {
      const { rows } = await sql<{ n: string }>`
        SELECT count(*) AS n FROM events
        WHERE type IN ('TrainingProgressReported', 'TrainingRunRequested', 'DatasetRevisionAdded')`.execute(
        db,
      );
      return Number(rows[0]!.n);
    }

    it('a rebuilt read model equals the live one, table for table, after a few thousand events', async () => {
      const database = await open();
      const store = new PostgresEventStore(database, { pollIntervalMs: 20 });
      const appends = generateLifecycle({ events: 2500, progressPerRun: 60, seed: 7 });
      const live = new ProjectionRunner({
        db: database.db,
        store,
        projections: allProjections,
        batchSize: 100,
        pollIntervalMs: 20,
      });
      live.start();
      // Appends race the live runner, so it sees the log in many small, uneven batches.
      await appendLifecycle(store, appends.slice(0, appends.length / 2));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const { checkpoint } = await appendLifecycle(store, appends.slice(appends.length / 2));
      await live.waitFor(checkpoint, { timeoutMs: 90_000 });
      await live.stop();

      const tables = [...new Set(allProjections.flatMap((p) => p.tables))];
      const snapshot = async () => {
        const result: Record<string, unknown[]> = {};
        for (const table of tables) {
          const { rows } = await sql<{ row: unknown }>`
            SELECT to_jsonb(t) AS row FROM ${sql.table(table)} t ORDER BY to_jsonb(t)::text`.execute(
            database.db,
          );
          result[table] = rows.map((r) => r.row);
        }
        return result;
      };
      const before = await snapshot();
      expect(before['run_metrics']!.length).toBeGreaterThan(1000);
      const rebuilder = new ProjectionRunner({
        db: database.db,
        store,
        projections: allProjections,
        batchSize: 1000,
      });
      await rebuilder.rebuild();
      const after = await snapshot();
      for (const table of tables)
        expect({ table, rows: after[table] }).toEqual({ table, rows: before[table] });
    });

    it('a runner whose transaction aborts mid-batch resumes without applying anything twice', async () => {
      const database = await open();
      const store = new PostgresEventStore(database, { pollIntervalMs: 20 });
      const { checkpoint } = await appendLifecycle(
        store,
        generateLifecycle({ events: 1500, progressPerRun: 50, seed: 11 }),
      );
      const errors: unknown[] = [];
      const runner = new ProjectionRunner({
        db: database.db,
        store,
        projections: [recording('crashy', 'a', { nth: 150 })],
        batchSize: 200,
        pollIntervalMs: 20,
        onError: (_name, error) => errors.push(error),
      });
      runner.start();
      await runner.waitFor(checkpoint, { timeoutMs: 60_000 });
      await runner.stop();
      expect(errors.map((e) => (e as Error).message)).toEqual(['simulated crash in the middle of a batch']);
      const applied = await appliedRows(database.db, 'crashy');
      const expected = await handledCount(database.db);
      expect(applied).toEqual({ total: expected, distinct: expected, runners: 1 });
      const status = runner.status()[0]!;
      expect(status.eventsApplied).toBe(expected);
    });

    it('two runners started for one projection never both apply an event', async () => {
      const writer = await open();
      const store = new PostgresEventStore(writer, { pollIntervalMs: 20 });
      const [first, second] = [await open(), await open()];
      const runners = [first, second].map(
        (database, i) =>
          new ProjectionRunner({
            db: database.db,
            store: new PostgresEventStore(database, { pollIntervalMs: 20 }),
            projections: [recording('contended', `runner-${i}`)],
            batchSize: 50,
            pollIntervalMs: 20,
          }),
      );
      for (const runner of runners) runner.start();
      const { checkpoint } = await appendLifecycle(
        store,
        generateLifecycle({ events: 2000, progressPerRun: 40, seed: 3 }),
      );
      await Promise.all(runners.map((runner) => runner.waitFor(checkpoint, { timeoutMs: 60_000 })));
      await Promise.all(runners.map((runner) => runner.stop()));
      const applied = await appliedRows(writer.db, 'contended');
      const expected = await handledCount(writer.db);
      expect(applied.total).toBe(expected);
      expect(applied.distinct).toBe(expected);
    });
  });
}
