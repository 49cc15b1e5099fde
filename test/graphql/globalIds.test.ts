import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLifecycle } from '../../bench/projections.js';
import type { ProjectionRunner } from '../../src/projections/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { projectedLifecycle } from '../support/lifecycle.js';
import { startHarness, type Harness } from './harness.js';

type Data = Record<string, unknown>;

for (const target of databaseTargets) {
  describe(`global ids of models, dataset revisions and jobs (${target.name})`, () => {
    let database: TestDatabase;
    let api: Harness;
    let runner: ProjectionRunner;
    const appends = generateLifecycle({ events: 400, progressPerRun: 5 });

    beforeAll(async () => {
      database = await target.open();
      api = await startHarness(database);
      runner = await projectedLifecycle(database, api.store, appends);
    });
    afterAll(async () => {
      await runner?.stop();
      await api?.close();
      await database?.close();
    });

    it('answers each one again through node(id:), as the list gave it', async () => {
      const listed = await api.request<{
        models: { edges: { node: Data & { id: string } }[] };
        datasets: { edges: { node: { revisions: { edges: { node: Data & { id: string } }[] } } }[] };
        jobs: { edges: { node: Data & { id: string } }[] };
      }>(`{
        models(first: 1) { edges { node { id modelName latestVersion } } }
        datasets(first: 1) { edges { node { revisions(first: 2) { edges { node { id datasetId revision contentHash } } } } } }
        jobs(first: 3) { edges { node { id jobId kind status } } }
      }`);
      expect(listed.errors).toBeUndefined();
      const model = listed.data!.models.edges[0]!.node;
      const revisions = listed.data!.datasets.edges[0]!.node.revisions.edges.map((edge) => edge.node);
      const jobs = listed.data!.jobs.edges.map((edge) => edge.node);
      expect(revisions.length).toBeGreaterThan(0);
      expect(jobs.length).toBeGreaterThan(0);
      const objects = [
        { typeName: 'Model', fields: 'modelName latestVersion', object: model },
        ...revisions.map((object) => ({
          typeName: 'DatasetRevision',
          fields: 'datasetId revision contentHash',
          object,
        })),
        ...jobs.map((object) => ({ typeName: 'Job', fields: 'jobId kind status', object })),
      ];
      const ids = new Set<string>();
      for (const { typeName, fields, object } of objects) {
        ids.add(object.id);
        const found = await api.request<{ node: Data }>(
          `query($id: ID!) { node(id: $id) { __typename id ... on ${typeName} { ${fields} } } }`,
          { id: object.id },
        );
        expect(found.errors, typeName).toBeUndefined();
        expect(found.data!.node).toEqual({ __typename: typeName, ...object });
      }
      expect(ids.size, 'every object its own id').toBe(objects.length);
    });

    it('answers null for one that does not exist, and refuses an id it did not make', async () => {
      for (const key of ['Model:no-such-model', 'DatasetRevision:no-such-dataset@1', 'Job:no-such-job']) {
        const absent = await api.request<{ node: unknown }>('query($id: ID!) { node(id: $id) { id } }', {
          id: Buffer.from(key).toString('base64url'),
        });
        expect(absent.errors, key).toBeUndefined();
        expect(absent.data!.node, key).toBeNull();
      }
      const notNumbered = await api.request<{ node: unknown }>('query($id: ID!) { node(id: $id) { id } }', {
        id: Buffer.from('DatasetRevision:support@one').toString('base64url'),
      });
      expect(notNumbered.data!.node).toBeNull();
      const plainJobId = await api.request('query($id: ID!) { node(id: $id) { id } }', { id: 'job-1' });
      expect(plainJobId.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });
  });
}
