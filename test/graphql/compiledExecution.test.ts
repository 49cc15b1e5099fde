import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLifecycle } from '../../bench/projections.js';
import type { ProjectionRunner } from '../../src/projections/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { projectedLifecycle } from '../support/lifecycle.js';
import { startHarness, type Harness } from './harness.js';

/**
 * Queries run compiled (graphql-jit, the default) must answer byte for byte what graphql-js's own
 * executor answers: data, null propagation, errors with codes, paths and locations.
 */
for (const target of databaseTargets) {
  describe(`compiled query execution (${target.name})`, () => {
    let database: TestDatabase;
    let compiled: Harness;
    let interpreted: Harness;
    let runner: ProjectionRunner;
    const appends = generateLifecycle({ events: 800, progressPerRun: 30 });
    const events = appends.flatMap((append) => append.events);
    const runId = (events.find((event) => event.type === 'TrainingRunRequested')!.data as { runId: string })
      .runId;
    const { version } = events.find((event) => event.type === 'ModelVersionRegistered')!.data as {
      version: number;
    };

    beforeAll(async () => {
      database = await target.open();
      // No response cache: both servers execute every request.
      compiled = await startHarness(database, { responseCache: false });
      interpreted = await startHarness(database, { responseCache: false, execution: 'interpreted' });
      runner = await projectedLifecycle(database, compiled.store, appends);
    });
    afterAll(async () => {
      await runner?.stop();
      await compiled?.close();
      await interpreted?.close();
      await database?.close();
    });

    async function answer(api: Harness, query: string, variables?: Record<string, unknown>) {
      const response = await fetch(api.server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, body: await response.text() };
    }

    const cases: [string, string, Record<string, unknown>?][] = [
      [
        'a run with aliases, fragments, arguments and its metric series',
        `query($id: ID!, $from: Int) { run(runId: $id) { runId status stages method lastLoss requestedAt
           a: metrics(first: 10) { edges { cursor node { ...point } } pageInfo { hasNextPage endCursor } }
           b: metrics(first: 5, fromStep: $from) { edges { node { step loss learningRate recordedAt } } }
           checkpoints { edges { node { step artifactHash byteSize savedAt } } } } }
         fragment point on RunMetric { step loss entityLoss gradNorm tokensPerSecond }`,
        { id: runId, from: 7 },
      ],
      [
        '@include and @skip',
        `query($with: Boolean!) { runs(first: 5) { edges { node { runId status @include(if: $with) kind @skip(if: $with) } } } }`,
        { with: true },
      ],
      [
        'every list, with __typename',
        `{ datasets(first: 3) { edges { node { __typename datasetId name revisionCount revisions(first: 2) { edges { node { revision } } } } } }
           evaluations(first: 3) { edges { node { evaluationId status } } }
           models(first: 3) { edges { node { modelName latestVersion versions(first: 3) { edges { node { version retained } } } } } }
           deployments(first: 3) { edges { node { deploymentName status activeVersion history(first: 3) { edges { node { __typename } } } } } }
           interactions(first: 3) { edges { node { interactionId modelVersion labelCount labels { edges { node { __typename } } } } } } }`,
      ],
      [
        'an audit report and lineage',
        `{ auditReport(modelName: "llama-med", version: ${version}) { allChainsIntact integrity { streamId eventsChecked } }
           lineage(id: "run:${runId}", direction: DOWNSTREAM) { nodes { nodeId kind } edges { from to relation } truncated } }`,
      ],
      [
        'introspection',
        '{ __schema { queryType { name } } __type(name: "TrainingRun") { fields { name } } }',
      ],
      ['an unknown run (null)', '{ run(runId: "nope") { runId } }'],
      [
        'a cursor the server never issued (BAD_USER_INPUT, with path)',
        '{ runs(after: "bm9wZQ") { edges { cursor } } }',
      ],
      [
        'a variable of the wrong type',
        'query($n: Int!) { runs(first: $n) { edges { cursor } } }',
        { n: 'ten' },
      ],
      ['a field that does not exist', '{ runs(first: 1) { edges { node { nope } } } }'],
    ];

    for (const [what, query, variables] of cases) {
      it(`answers as graphql-js does: ${what}`, async () => {
        const [fast, reference] = await Promise.all([
          answer(compiled, query, variables),
          answer(interpreted, query, variables),
        ]);
        expect(fast).toEqual(reference);
        expect(reference.body.length).toBeGreaterThan(20);
      });
    }
  });
}
