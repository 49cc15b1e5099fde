import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendLifecycle, generateLifecycle } from '../../bench/projections.js';
import { allProjections, ProjectionRunner } from '../../src/projections/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { startHarness, type Harness } from './harness.js';

const runsPage = '{ runs(first: 500) { edges { node { runId status } } } }';

for (const target of databaseTargets) {
  describe(`GraphQL response cache (${target.name})`, () => {
    let database: TestDatabase;
    let api: Harness;
    let runner: ProjectionRunner;
    const appends = generateLifecycle({ events: 600, progressPerRun: 20 });
    const half = Math.floor(appends.length / 2);

    /** POSTs a query; the body as text and the cache's verdict (hit, miss, or none when not cacheable). */
    async function post(query: string, variables?: Record<string, unknown>, token?: string) {
      const response = await fetch(api.server.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      return {
        status: response.status,
        cache: response.headers.get('x-tuneledger-cache'),
        body: await response.text(),
      };
    }

    async function project(upTo: number) {
      const last = await api.store.readStream(appends[upTo - 1]!.streamId);
      await runner.waitFor(last.at(-1)!.checkpoint, { timeoutMs: 60_000 });
    }

    beforeAll(async () => {
      database = await target.open();
      api = await startHarness(database);
      runner = new ProjectionRunner({ db: database.db, store: api.store, projections: allProjections });
      runner.start();
      await appendLifecycle(api.store, appends.slice(0, half));
      await project(half);
    });
    afterAll(async () => {
      await runner?.stop();
      await api?.close();
      await database?.close();
    });

    it('serves a repeated read-model query from the cache until a projection moves', async () => {
      const first = await post(runsPage);
      expect(first).toMatchObject({ status: 200, cache: 'miss' });
      const again = await post(runsPage);
      expect(again).toMatchObject({ status: 200, cache: 'hit' });
      expect(again.body).toBe(first.body);

      // New events projected: the next answer is computed again and shows them.
      await appendLifecycle(api.store, appends.slice(half));
      await project(appends.length);
      const moved = await post(runsPage);
      expect(moved.cache).toBe('miss');
      const runIds = (body: string) =>
        (
          JSON.parse(body) as { data: { runs: { edges: { node: { runId: string } }[] } } }
        ).data.runs.edges.map((edge) => edge.node.runId);
      const expected = new Set(
        appends
          .flatMap((append) => append.events)
          .filter((event) => event.type === 'TrainingRunRequested')
          .map((event) => (event.data as { runId: string }).runId),
      );
      expect(new Set(runIds(moved.body))).toEqual(expected);
      expect(runIds(moved.body).length).toBeGreaterThan(runIds(first.body).length);
      expect((await post(runsPage)).cache).toBe('hit');
    });

    it('keeps an answer while only read models it did not read move', async () => {
      const datasets = '{ datasets(first: 500) { edges { node { datasetId } } } }';
      const both = `{ runs(first: 500) { edges { node { runId } } } datasets(first: 500) { edges { node { datasetId } } } }`;
      // An id that exists: an unknown one is NOT_FOUND, and errors are never cached.
      const runId = (
        appends.flatMap((append) => append.events).find((event) => event.type === 'TrainingRunRequested')!
          .data as { runId: string }
      ).runId;
      const lineage = `{ lineage(id: "${runId}", direction: DOWNSTREAM) { nodes { nodeId } } }`;
      for (const query of [runsPage, datasets, both, lineage]) {
        await post(query);
        expect((await post(query)).cache, query).toBe('hit');
      }

      // A dataset registered: the datasets projection moves, the runs projection does not.
      const datasetId = `dataset-cache-${Math.random().toString(36).slice(2)}`;
      const { events: registered } = await api.store.append(
        datasetId,
        [
          {
            type: 'DatasetRegistered',
            schemaVersion: 2,
            data: {
              datasetId,
              name: 'Cache test',
              domain: 'medicine',
              description: 'moves only the datasets read model',
              format: 'alpaca',
              tags: [],
              registeredAt: new Date().toISOString(),
            },
          },
        ],
        'no_stream',
        { actor: 'test' },
      );
      await runner.waitFor(registered[0]!.checkpoint, { timeoutMs: 60_000 });

      expect((await post(runsPage)).cache).toBe('hit');
      const afterDatasets = await post(datasets);
      expect(afterDatasets.cache).toBe('miss');
      expect(afterDatasets.body).toContain(datasetId);
      // An answer that read both read models, and one whose raw SQL names no table we can trust, move too.
      const afterBoth = await post(both);
      expect(afterBoth.cache).toBe('miss');
      expect(afterBoth.body).toContain(datasetId);
      expect((await post(lineage)).cache).toBe('miss');
    });

    it('serves an audit report again only while the involved streams are unchanged', async () => {
      const registered = appends
        .flatMap((append) => append.events)
        .find((event) => event.type === 'ModelVersionRegistered')!;
      const { version } = registered.data as { version: number };
      const query = `{ auditReport(modelName: "llama-med", version: ${version}) { allChainsIntact integrity { streamId eventsChecked } } }`;
      const first = await post(query);
      expect(first).toMatchObject({ status: 200, cache: 'miss' });
      expect(JSON.parse(first.body).data.auditReport.allChainsIntact).toBe(true);
      const again = await post(query);
      expect(again).toMatchObject({ status: 200, cache: 'hit' });
      expect(again.body).toBe(first.body);

      // An event appended to an involved stream: computed again.
      const { streamId, eventsChecked } = JSON.parse(first.body).data.auditReport.integrity[0] as {
        streamId: string;
        eventsChecked: number;
      };
      await api.store.append(streamId, [{ type: 'AuditNoted', data: {} }], eventsChecked, { actor: 'test' });
      const appended = await post(query);
      expect(appended.cache).toBe('miss');
      const checked = (
        JSON.parse(appended.body).data.auditReport.integrity as { streamId: string; eventsChecked: number }[]
      ).find((result) => result.streamId === streamId);
      expect(checked?.eventsChecked).toBe(eventsChecked + 1);

      // A report of a deployment (as of a moment, folded from the log) is never cached.
      const byDeployment = await post('{ auditReport(deployment: "nowhere") { allChainsIntact } }');
      expect(byDeployment.cache).toBeNull();
    });

    it('keys answers by variables and caller, and never serves one to a caller who may not read', async () => {
      const query =
        'query($s: RunStatus) { runs(first: 500, status: $s) { edges { node { runId status } } } }';
      const completed = await post(query, { s: 'COMPLETED' });
      const failed = await post(query, { s: 'FAILED' });
      expect(completed.body).not.toBe(failed.body);
      expect((await post(query, { s: 'COMPLETED' })).body).toBe(completed.body);

      const viewer = await api.server.tokens.create({ actor: 'vera', roles: ['viewer'], createdBy: 'test' });
      try {
        const asViewer = await post(query, { s: 'COMPLETED' }, viewer.token);
        expect(asViewer).toMatchObject({ status: 200, cache: 'miss' });
        expect((await post(query, { s: 'COMPLETED' }, viewer.token)).cache).toBe('hit');
        // Tokens exist now: the anonymous caller is refused, cached answers or not.
        const anonymous = await post(query, { s: 'COMPLETED' });
        expect(anonymous.status).toBe(401);
        expect(anonymous.cache).toBeNull();
      } finally {
        await api.server.tokens.revoke(viewer.tokenId);
      }
    });

    it('does not cache errors, time travel, the log, jobs or the viewer', async () => {
      const badCursor = '{ runs(after: "bm9wZQ") { edges { cursor } } }';
      expect((await post(badCursor)).cache).toBe('miss');
      const again = await post(badCursor);
      expect(again.cache).toBe('miss');
      expect(again.body).toMatch(/BAD_USER_INPUT/);

      for (const query of [
        '{ model(modelName: "llama-med", asOf: "2020-01-01T00:00:00Z") { productionVersion } }',
        '{ log(first: 5) { edges { node { type } } } }',
        '{ jobs(first: 5) { edges { node { jobId status } } } }',
        '{ me { actor } }',
        '{ runs(first: 1) { edges { cursor } } jobs(first: 1) { edges { cursor } } }',
      ]) {
        const answer = await post(query);
        expect(answer.status, query).toBe(200);
        expect(answer.cache, query).toBeNull();
      }
    });
  });
}
