import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEventStore } from '../../../src/eventstore/index.js';
import { StreamSnapshots } from '../../../src/graphql/audit/streamSnapshots.js';
import { databaseTargets, type TestDatabase } from '../../support/databases.js';

const meta = { actor: 'tester' };

for (const target of databaseTargets) {
  describe(`audit stream snapshots (${target.name})`, () => {
    let database: TestDatabase;
    let store: PostgresEventStore;
    beforeAll(async () => {
      database = await target.open();
      store = new PostgresEventStore(database);
    });
    afterAll(() => database?.close());

    it('reuses a verified stream only while its stored rows are unchanged', async () => {
      const snapshots = new StreamSnapshots();
      const deps = { store, db: database.db };
      const a = `dataset-${randomUUID()}`;
      const b = `dataset-${randomUUID()}`;
      await store.append(
        a,
        [1, 2, 3].map((n) => ({ type: 'Noted', data: { n } })),
        'no_stream',
        meta,
      );
      await store.append(b, [{ type: 'Noted', data: { n: 1 } }], 'no_stream', meta);

      const first = await snapshots.read(deps, [a, b]);
      expect([...first.keys()]).toEqual([a, b]);
      expect(first.get(a)!.integrity).toMatchObject({ ok: true, eventsChecked: 3 });
      const again = await snapshots.read(deps, [a, b]);
      // Unchanged rows: the very same verified snapshot, not a re-read.
      expect(again.get(a)).toBe(first.get(a));

      // An append is seen at once.
      await store.append(a, [{ type: 'Noted', data: { n: 4 } }], 3, meta);
      const appended = await snapshots.read(deps, [a]);
      expect(appended.get(a)!.events.map((event) => (event.data as { n: number }).n)).toEqual([1, 2, 3, 4]);
      expect(appended.get(a)!.integrity).toMatchObject({ ok: true, eventsChecked: 4 });

      // An event altered behind the store's back after it was verified and cached is caught.
      await database.db.transaction().execute(async (trx) => {
        await sql`SET LOCAL session_replication_role = replica`.execute(trx);
        await sql`UPDATE events SET data = '{"n": 20}' WHERE stream_id = ${a} AND stream_version = 2`.execute(
          trx,
        );
      });
      const tampered = await snapshots.read(deps, [a, b]);
      expect(tampered.get(a)!.integrity).toMatchObject({ ok: false, firstBrokenVersion: 2 });
      expect(tampered.get(b)).toBe(first.get(b));

      // A stream that does not exist reads as empty and intact.
      const missing = `dataset-${randomUUID()}`;
      expect((await snapshots.read(deps, [missing])).get(missing)).toMatchObject({
        events: [],
        integrity: { ok: true, eventsChecked: 0 },
      });
    });
  });
}
