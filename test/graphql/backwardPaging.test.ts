import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLifecycle } from '../../bench/projections.js';
import type { ProjectionRunner } from '../../src/projections/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { projectedLifecycle } from '../support/lifecycle.js';
import { startHarness, type Harness } from './harness.js';

type Data = Record<string, unknown>;
type Connection = {
  edges: { cursor: string; node: { key: string | number } }[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
};

/**
 * One list of each kind of keyset: a root list keyed by (time, id), a root list keyed by a name, and a
 * child list keyed by a number, each read by its parent's key.
 */
interface List {
  readonly name: string;
  /** The document around the connection field (`CONNECTION` marks where it goes). */
  readonly wrap: (connection: string) => string;
  readonly field: string;
  /** Arguments the field always takes besides the paging ones (which stream). */
  readonly args?: string;
  /** The node field that names each item. */
  readonly key: string;
  readonly connection: (data: Data) => Connection;
}

const withFixed = (list: List, args: string) => (list.args ? `${list.args}, ${args}` : args);

function rootList(field: string, key: string): List {
  return { name: field, wrap: (c) => c, field, key, connection: (data) => data[field] as Connection };
}

function childList(name: string, parent: string, field: string, key: string): List {
  const [parentField] = parent.split('(');
  return {
    name,
    wrap: (c) => `${parent} { ${c} }`,
    field,
    key,
    connection: (data) => (data[parentField!] as Data)[field] as Connection,
  };
}

for (const target of databaseTargets) {
  describe(`backward paging with last/before (${target.name})`, () => {
    let database: TestDatabase;
    let api: Harness;
    let runner: ProjectionRunner;
    const appends = generateLifecycle({ events: 1200, progressPerRun: 40 });
    const events = appends.flatMap((append) => append.events);
    const first = (type: string, field: string) =>
      (events.find((event) => event.type === type)!.data as Data)[field] as string;

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

    const lists = (): List[] => [
      rootList('runs', 'runId'),
      rootList('evaluations', 'evaluationId'),
      rootList('datasets', 'datasetId'),
      rootList('interactions', 'interactionId'),
      rootList('jobs', 'jobId'),
      rootList('models', 'modelName'),
      rootList('deployments', 'deploymentName'),
      childList(
        'dataset.revisions',
        `dataset(datasetId: "${first('DatasetRegistered', 'datasetId')}")`,
        'revisions',
        'revision',
      ),
      childList('run.metrics', `run(runId: "${first('TrainingRunRequested', 'runId')}")`, 'metrics', 'step'),
      childList(
        'model.versions',
        `model(modelName: "${first('ModelVersionRegistered', 'modelName')}")`,
        'versions',
        'version',
      ),
      {
        name: 'stream',
        wrap: (c) => c,
        field: 'stream',
        args: `streamId: "run-${first('TrainingRunRequested', 'runId')}"`,
        key: 'streamVersion',
        connection: (data) => data['stream'] as Connection,
      },
      childList(
        'deployment.history',
        `deployment(deploymentName: "${first('DeploymentRequested', 'deploymentName')}")`,
        'history',
        'eventId',
      ),
    ];

    async function page(list: List, args: string): Promise<Connection> {
      const selection = `${list.field}(${withFixed(list, args)}) { edges { cursor node { key: ${list.key} } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }`;
      const response = await api.request<Data>(`{ ${list.wrap(selection)} }`);
      expect(response.errors, `${list.name}(${args})`).toBeUndefined();
      return list.connection(response.data!);
    }

    const keys = (connection: Connection) => connection.edges.map((edge) => edge.node.key);

    it('walks every list backward (several pages where the list is long) from its end to its start, the same items as forward', async () => {
      for (const list of lists()) {
        const forward = await page(list, 'first: 500');
        const all = keys(forward);
        console.log('TOTAL', list.name, all.length);
        expect(all.length, `${list.name} needs items`).toBeGreaterThan(0);
        expect(forward.pageInfo.hasNextPage).toBe(false);

        const backward: (string | number)[] = [];
        let before: string | null = null;
        for (let pages = 0; ; pages++) {
          const args: string = before ? `last: 3, before: "${before}"` : 'last: 3';
          const current = await page(list, args);
          // Still in the list's order within a page, counted from the end.
          backward.unshift(...keys(current));
          expect(current.pageInfo.hasNextPage, `${list.name}: later items exist after a before page`).toBe(
            before !== null,
          );
          expect(current.pageInfo.hasPreviousPage, list.name).toBe(backward.length < all.length);
          if (!current.pageInfo.hasPreviousPage) break;
          before = current.pageInfo.startCursor;
          expect(pages).toBeLessThan(all.length);
        }
        expect(backward, list.name).toEqual(all);
      }
    });

    it('reads the items between two cursors from either end, and the last few alone', async () => {
      for (const list of lists()) {
        const all = await page(list, 'first: 500');
        const total = all.edges.length;
        const lastTwo = await page(list, 'last: 2');
        expect(keys(lastTwo), list.name).toEqual(keys(all).slice(-2));
        expect(lastTwo.pageInfo.hasPreviousPage).toBe(total > 2);
        expect(lastTwo.pageInfo.hasNextPage).toBe(false);

        // Exactly the whole list counted from the end: nothing earlier.
        const whole = await page(list, `last: ${total}`);
        expect(keys(whole), list.name).toEqual(keys(all));
        expect(whole.pageInfo.hasPreviousPage, list.name).toBe(false);

        if (total < 2) continue;
        const after = all.edges[0]!.cursor;
        const before = all.edges[total - 1]!.cursor;
        const between = keys(all).slice(1, -1);
        const fromEnd = await page(list, `last: 2, after: "${after}", before: "${before}"`);
        expect(keys(fromEnd), list.name).toEqual(between.slice(-2));
        expect(fromEnd.pageInfo.hasPreviousPage, list.name).toBe(between.length > 2);
        expect(fromEnd.pageInfo.hasNextPage, list.name).toBe(fromEnd.edges.length > 0);
        const fromStart = await page(list, `first: 2, after: "${after}", before: "${before}"`);
        expect(keys(fromStart), list.name).toEqual(between.slice(0, 2));
        expect(fromStart.pageInfo.hasNextPage, list.name).toBe(between.length > 2);
        expect(fromStart.pageInfo.hasPreviousPage, list.name).toBe(true);

        const everythingBefore = await page(list, `last: 500, before: "${before}"`);
        expect(keys(everythingBefore), list.name).toEqual(keys(all).slice(0, -1));
        expect(everythingBefore.pageInfo.hasPreviousPage).toBe(false);
      }
    });

    it('refuses first with last, counts outside 1..500 and a foreign before cursor with BAD_USER_INPUT', async () => {
      for (const list of lists()) {
        for (const [args, message] of [
          ['first: 2, last: 2', /pass first or last, not both/],
          ['last: -1', /last must be an integer from 1 to 500, got -1/],
          ['last: 0', /last must be an integer from 1 to 500, got 0/],
          ['last: 501', /last must be an integer from 1 to 500, got 501/],
          ['first: -3', /first must be an integer from 1 to 500, got -3/],
          ['last: 2, before: "bm9wZQ"', /is not one this API returned/],
        ] as const) {
          const selection = `${list.field}(${withFixed(list, args)}) { edges { cursor } }`;
          const response = await api.request(`{ ${list.wrap(selection)} }`);
          expect(response.errors?.[0]?.extensions?.code, `${list.name}(${args})`).toBe('BAD_USER_INPUT');
          expect(response.errors?.[0]?.message, `${list.name}(${args})`).toMatch(message);
        }
      }
    });

    it('prices a page counted from the end by its last, and a list without either by its default page', async () => {
      const heavy = await api.request(
        '{ runs(last: 500) { edges { node { runId metrics(last: 500) { edges { node { step loss } } } } } } }',
      );
      expect(heavy.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(heavy.errors?.[0]?.message).toMatch(/cost/i);
      const light = await api.request(
        '{ runs(last: 5) { edges { node { runId metrics(last: 5) { edges { node { step } } } } } } }',
      );
      expect(light.errors).toBeUndefined();
    });
  });
}
