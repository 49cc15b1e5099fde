import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendLifecycle, generateLifecycle, untilVisible } from '../../../bench/projections.js';
import { PostgresEventStore } from '../../../src/eventstore/index.js';
import { buildAuditReport, type AuditReport } from '../../../src/graphql/audit/auditReport.js';
import { writeWorldSnapshots } from '../../../src/projections/index.js';
import { databaseTargets, type TestDatabase } from '../../support/databases.js';
import { seededRandom } from '../../../src/data/noise/seededRandom.js';

/** The report less the moment it was generated. */
const content = (report: AuditReport | null) =>
  report === null ? 'null' : JSON.stringify({ ...report, generatedAt: undefined });

for (const target of databaseTargets) {
  describe(`deployment audit report asOf, from snapshots and the lineage index (${target.name})`, () => {
    let database: TestDatabase;
    let store: PostgresEventStore;
    let span: { first: number; last: number };

    beforeAll(async () => {
      database = await target.open();
      store = new PostgresEventStore(database);
      const appends = generateLifecycle({ events: 2000, progressPerRun: 20 });
      let checkpoint = '';
      for (let part = 0; part < 4; part++) {
        const slice = appends.slice(
          Math.floor((appends.length * part) / 4),
          Math.floor((appends.length * (part + 1)) / 4),
        );
        ({ checkpoint } = await appendLifecycle(store, slice));
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
      await untilVisible(store, checkpoint);
      const all = await store.readAll('', 100_000);
      span = {
        first: Date.parse(all.events[0]!.metadata.recordedAt),
        last: Date.parse(all.events.at(-1)!.metadata.recordedAt),
      };
    });
    afterAll(() => database.close());

    it('equals the report folded from the start of the log at random moments', async () => {
      const random = seededRandom(23);
      const moments = Array.from(
        { length: 12 },
        () => new Date(span.first + Math.floor(random() * (span.last - span.first + 10))),
      );
      const report = (asOf: Date) =>
        buildAuditReport({ store, db: database.db }, { deploymentName: 'med-assistant', asOf });
      // No snapshots yet: every report is a fold from the start of the log.
      await sql`DELETE FROM world_snapshots`.execute(database.db);
      const folded: string[] = [];
      for (const at of moments) folded.push(content(await report(at)));
      expect(folded.filter((text) => text !== 'null').length).toBeGreaterThan(6);

      expect(await writeWorldSnapshots(database.db, store, { every: 20 })).toBeGreaterThan(5);
      for (const [index, at] of moments.entries()) {
        expect(content(await report(at)), at.toISOString()).toBe(folded[index]);
      }
    });
  });
}
