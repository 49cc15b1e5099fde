/**
 * A mutation answers once the read models show its events (read-your-writes). When they lag past the wait (a busy
 * or stopped projection runner), the command is still recorded: the answer is its payload with a warning, never
 * an internal error that would invite a retry of something done.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import { allProjections, ProjectionRunner } from '../../src/projections/index.js';
import { createServices, systemClock, uuidIds } from '../../src/services/index.js';
import { countEvents, databaseTargets, type TestDatabase } from '../support/databases.js';
import { startHarness, type Harness } from './harness.js';

const register = `mutation($name: String!) { m: registerDataset(name: $name, format: ALPACA) { id eventTypes checkpoint } }`;
const datasets = `{ datasets { edges { node { datasetId } } } }`;

for (const target of databaseTargets) {
  describe(`read-your-writes when the projections lag (${target.name})`, () => {
    let database: TestDatabase;
    let api: Harness;
    let runner: ProjectionRunner;

    beforeAll(async () => {
      database = await target.open();
      const store = new PostgresEventStore(database, { pollIntervalMs: 50 });
      // Not started: nothing applies the log until the test starts it.
      runner = new ProjectionRunner({ db: database.db, store, projections: allProjections });
      api = await startHarness(database, {
        services: createServices({ store, clock: systemClock, ids: uuidIds }),
        projections: { waitFor: (checkpoint) => runner.waitFor(checkpoint, { timeoutMs: 300 }) },
      });
    });
    afterAll(async () => {
      await api?.close();
      await runner?.stop();
      await database?.close();
    });

    it('answers the recorded command with a warning, and the read model shows it once the runner catches up', async () => {
      const before = await countEvents(database);
      const answer = await api.request<{ m: { id: string; eventTypes: string[]; checkpoint: string } }>(
        register,
        { name: 'lagging' },
      );
      expect(answer.errors).toBeUndefined();
      expect(answer.status).toBe(200);
      expect(answer.data?.m).toMatchObject({ eventTypes: ['DatasetRegistered'] });
      expect(answer.extensions?.['warnings']).toEqual([
        expect.stringMatching(
          new RegExp(`recorded at checkpoint ${answer.data!.m.checkpoint}.*queries may not show it yet`),
        ),
      ]);
      expect(await countEvents(database)).toBe(before + 1);

      runner.start();
      await runner.waitFor(answer.data!.m.checkpoint, { timeoutMs: 60_000 });
      const read = await api.request<{ datasets: { edges: { node: { datasetId: string } }[] } }>(datasets);
      expect(read.errors).toBeUndefined();
      expect(read.data?.datasets.edges.map((edge) => edge.node.datasetId)).toContain(answer.data!.m.id);

      // Caught up: the next answer carries no warning.
      const next = await api.request(register, { name: 'in-time' });
      expect(next.errors).toBeUndefined();
      expect(next.extensions?.['warnings']).toBeUndefined();
    });
  });
}
