import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLifecycle } from '../../bench/projections.js';
import type { ProjectionRunner } from '../../src/projections/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { projectedLifecycle } from '../support/lifecycle.js';
import { startHarness, type Harness } from './harness.js';

type Data = Record<string, unknown>;

for (const target of databaseTargets) {
  describe(`GraphQL read-model queries (${target.name})`, () => {
    let database: TestDatabase;
    let api: Harness;
    let runner: ProjectionRunner;
    const appends = generateLifecycle({ events: 1200, progressPerRun: 40 });
    const events = appends.flatMap((append) => append.events);

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

    it('walks every run exactly once through edge cursors, with status filters', async () => {
      const expected = new Map<string, string>();
      for (const event of events) {
        const runId = (event.data as Data).runId as string;
        if (event.type === 'TrainingRunRequested') expected.set(runId, 'requested');
        if (event.type === 'TrainingRunCompleted') expected.set(runId, 'completed');
        if (event.type === 'TrainingRunFailed') expected.set(runId, 'failed');
      }
      type Page = {
        runs: {
          edges: { cursor: string; node: { runId: string; status: string } }[];
          pageInfo: { hasNextPage: boolean };
        };
      };
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        // Continue from the second edge's cursor, not the page end: any edge cursor must work.
        const page: Page = (
          await api.request<Page>(
            'query($after: String) { runs(first: 3, after: $after) { edges { cursor node { runId status } } pageInfo { hasNextPage } } }',
            { after },
          )
        ).data!;
        const edges = page.runs.edges;
        seen.push(...edges.slice(0, 2).map((edge) => edge.node.runId));
        for (const edge of edges) expect(edge.node.status).toBe(expected.get(edge.node.runId)?.toUpperCase());
        if (!page.runs.pageInfo.hasNextPage && edges.length <= 2) break;
        after = edges[Math.min(1, edges.length - 1)]!.cursor;
        if (!page.runs.pageInfo.hasNextPage && edges.length === 3) {
          seen.push(edges[2]!.node.runId);
          break;
        }
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect(new Set(seen)).toEqual(new Set(expected.keys()));

      const completed = await api.request<{ runs: { edges: { node: { runId: string } }[] } }>(
        '{ runs(first: 500, status: COMPLETED) { edges { node { runId } } } }',
      );
      expect(new Set(completed.data!.runs.edges.map((edge) => edge.node.runId))).toEqual(
        new Set([...expected].filter(([, status]) => status === 'completed').map(([runId]) => runId)),
      );

      // A page reads only the columns of the fields asked for (a fragment reads them all): same values.
      const narrow = await api.request(
        '{ runs(first: 50) { edges { cursor node { runId baseModel stages lastLoss finishedAt } } } }',
      );
      const whole = await api.request(
        '{ runs(first: 50) { edges { cursor node { ...run } } } } fragment run on TrainingRun { runId baseModel stages lastLoss finishedAt }',
      );
      expect(narrow.errors).toBeUndefined();
      expect(narrow.data).toEqual(whole.data);
      expect(JSON.stringify(narrow.data)).toMatch(/"stages":\[\{/);
    });

    it('serves a run with its metric series, the last report per step winning', async () => {
      const lastLoss = new Map<number, number>();
      const runId = (events.find((event) => event.type === 'TrainingRunRequested')!.data as Data)
        .runId as string;
      for (const event of events) {
        const data = event.data as Data;
        if (event.type === 'TrainingProgressReported' && data.runId === runId)
          lastLoss.set(data.step as number, data.loss as number);
      }
      const response = await api.request<{
        run: { runId: string; metrics: { edges: { node: { step: number; loss: number } }[] } };
      }>(
        'query($id: ID!) { run(runId: $id) { runId metrics(first: 500) { edges { node { step loss } } } } }',
        {
          id: runId,
        },
      );
      expect(response.errors).toBeUndefined();
      const points = response.data!.run.metrics.edges.map((edge) => [edge.node.step, edge.node.loss]);
      expect(points).toEqual([...lastLoss].sort((a, b) => a[0] - b[0]));

      // Only the selected columns are read; every way of selecting fields still gets its values.
      type Point = { step: number; loss: number; stageIndex: number; recordedAt: string };
      const wide = await api.request<{
        run: { a: { edges: { cursor: string; node: Point }[] }; b: { edges: { node: Point }[] } };
      }>(
        `query($id: ID!) { run(runId: $id) {
          a: metrics(first: 500) { edges { cursor node { step loss stageIndex recordedAt } } }
          b: metrics(first: 500) { edges { node { ...point } } }
        } }
        fragment point on RunMetric { step loss stageIndex recordedAt }`,
        { id: runId },
      );
      expect(wide.errors).toBeUndefined();
      const { a, b } = wide.data!.run;
      expect(a.edges.map((edge) => [edge.node.step, edge.node.loss])).toEqual(points);
      expect(b.edges.map((edge) => edge.node)).toEqual(a.edges.map((edge) => edge.node));
      for (const edge of a.edges) {
        expect(Number.isNaN(Date.parse(edge.node.recordedAt))).toBe(false);
        expect(edge.node.stageIndex).toEqual(expect.any(Number));
        expect(edge.cursor).toEqual(expect.any(String));
      }
    });

    it('serves the same metrics as columnar series, paged by step, with null figures left out', async () => {
      const runId = (events.find((event) => event.type === 'TrainingRunRequested')!.data as Data)
        .runId as string;
      const points = new Map<number, Data>();
      for (const event of events) {
        const data = event.data as Data;
        if (event.type === 'TrainingProgressReported' && data.runId === runId)
          points.set(data.step as number, data);
      }
      const steps = [...points.keys()].sort((a, b) => a - b);
      expect(steps.length).toBeGreaterThan(3);
      type Series = { name: string; steps: number[]; values: number[] };
      type Answer = { run: { metricSeries: { series: Series[]; nextFromStep: number | null } } };
      const query =
        'query($id: ID!, $from: Int, $first: Int!) { run(runId: $id) { metricSeries(names: [LOSS, LEARNING_RATE, REWARD_MARGIN], fromStep: $from, first: $first) { series { name steps values } nextFromStep } } }';
      const whole = await api.request<Answer>(query, { id: runId, first: 1000 });
      expect(whole.errors).toBeUndefined();
      const [loss, learningRate, rewardMargin] = whole.data!.run.metricSeries.series;
      expect(loss).toEqual({ name: 'LOSS', steps, values: steps.map((step) => points.get(step)!.loss) });
      expect(learningRate).toEqual({
        name: 'LEARNING_RATE',
        steps,
        values: steps.map((step) => points.get(step)!.learningRate),
      });
      // A supervised run reports no reward margin: an empty series, not a list of nulls.
      expect(rewardMargin).toEqual({ name: 'REWARD_MARGIN', steps: [], values: [] });
      expect(whole.data!.run.metricSeries.nextFromStep).toBeNull();

      // Pages of 3 steps, each continuing from nextFromStep, add up to the whole.
      const paged: number[] = [];
      let from: number | null = null;
      for (;;) {
        const page: Answer = (await api.request<Answer>(query, { id: runId, first: 3, from })).data!;
        paged.push(...page.run.metricSeries.series[0]!.steps);
        from = page.run.metricSeries.nextFromStep;
        if (from === null) break;
      }
      expect(paged).toEqual(steps);

      const refused = await api.request(query, { id: runId, first: 0 });
      expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it("keeps a preference run's reward accuracy and margin in its metric series, null for others", async () => {
      const requested = events.find((event) => event.type === 'TrainingRunRequested')!;
      const supervisedRunId = (requested.data as Data).runId as string;
      const runId = 'preference-metrics';
      const progress = events.find((event) => event.type === 'TrainingProgressReported')!;
      const point = (step: number, reward: { rewardAccuracy: number; rewardMargin: number }) => ({
        type: progress.type,
        data: { ...(progress.data as Data), runId, step, totalSteps: 2, ...reward },
      });
      const appended = await api.store.append(
        `run-${runId}`,
        [
          { type: requested.type, data: { ...(requested.data as Data), runId } },
          point(1, { rewardAccuracy: 0.25, rewardMargin: -0.5 }),
          point(2, { rewardAccuracy: 0.75, rewardMargin: 1.25 }),
        ],
        'no_stream',
        { actor: 'test' },
      );
      await runner.waitFor(appended.events.at(-1)!.checkpoint, { timeoutMs: 30_000 });
      type Point = { step: number; rewardAccuracy: number | null; rewardMargin: number | null };
      const series = async (id: string) => {
        const response = await api.request<{ run: { metrics: { edges: { node: Point }[] } } }>(
          'query($id: ID!) { run(runId: $id) { metrics(first: 500) { edges { node { step rewardAccuracy rewardMargin } } } } }',
          { id },
        );
        expect(response.errors).toBeUndefined();
        return response.data!.run.metrics.edges.map((edge) => edge.node);
      };
      expect(await series(runId)).toEqual([
        { step: 1, rewardAccuracy: 0.25, rewardMargin: -0.5 },
        { step: 2, rewardAccuracy: 0.75, rewardMargin: 1.25 },
      ]);
      const supervised = await series(supervisedRunId);
      expect(supervised.length).toBeGreaterThan(0);
      expect(supervised.every((p) => p.rewardAccuracy === null && p.rewardMargin === null)).toBe(true);

      // The columnar series over a window of steps: each series keeps only the steps that have its figure.
      type Series = { name: string; steps: number[]; values: number[] };
      const columns = async (id: string, args: string) => {
        const response = await api.request<{
          run: { metricSeries: { series: Series[]; nextFromStep: number | null } };
        }>(
          `query($id: ID!) { run(runId: $id) { metricSeries(${args}) { series { name steps values } nextFromStep } } }`,
          { id },
        );
        expect(response.errors).toBeUndefined();
        return response.data!.run.metricSeries;
      };
      expect(await columns(runId, 'names: [REWARD_MARGIN, REWARD_ACCURACY], first: 1')).toEqual({
        series: [
          { name: 'REWARD_MARGIN', steps: [1], values: [-0.5] },
          { name: 'REWARD_ACCURACY', steps: [1], values: [0.25] },
        ],
        nextFromStep: 2,
      });
      expect(await columns(runId, 'names: [REWARD_MARGIN], fromStep: 2, toStep: 2')).toEqual({
        series: [{ name: 'REWARD_MARGIN', steps: [2], values: [1.25] }],
        nextFromStep: null,
      });
      const mixed = await columns(supervisedRunId, 'names: [REWARD_MARGIN, LOSS], first: 2');
      expect(mixed.series[0]).toEqual({ name: 'REWARD_MARGIN', steps: [], values: [] });
      expect(mixed.series[1]!.steps).toEqual(supervised.slice(0, 2).map((point) => point.step));
      expect(mixed.nextFromStep).toBe(supervised[2]?.step ?? null);
    });

    it('answers the registry live and as of a past moment, and lineage of a version', async () => {
      const recorded = (await api.store.readAll('', 100_000)).events;
      const retained = new Map<number, boolean>();
      let production: number | null = null;
      let middle: { at: string; retained: Map<number, boolean>; production: number | null } | null = null;
      const half = Math.floor(recorded.length / 2);
      recorded.forEach((event, index) => {
        const data = event.data as Data;
        if (event.streamId === 'model-llama-med') {
          if (event.type === 'ModelVersionRegistered') retained.set(data.version as number, true);
          if (event.type === 'ModelVersionArchived') retained.set(data.version as number, false);
          if (event.type === 'ModelVersionPromoted' && data.stage === 'production')
            production = data.version as number;
        }
        if (index === half)
          middle = { at: event.metadata.recordedAt, retained: new Map(retained), production };
      });
      type ModelAnswer = {
        model: {
          productionVersion: number | null;
          versions: { edges: { node: { version: number; retained: boolean } }[] };
        };
      };
      const query =
        'query($at: DateTime) { model(modelName: "llama-med", asOf: $at) { productionVersion versions(first: 100) { edges { node { version retained } } } } }';
      const live = await api.request<ModelAnswer>(query, {});
      expect(live.data!.model.productionVersion).toBe(production);
      expect(live.data!.model.versions.edges.map((edge) => [edge.node.version, edge.node.retained])).toEqual(
        [...retained].sort((a, b) => a[0] - b[0]),
      );
      const past = await api.request<ModelAnswer>(query, { at: middle!.at });
      expect(past.errors).toBeUndefined();
      expect(past.data!.model.productionVersion).toBe(middle!.production);
      expect(past.data!.model.versions.edges.map((edge) => [edge.node.version, edge.node.retained])).toEqual(
        [...middle!.retained].sort((a, b) => a[0] - b[0]),
      );

      const registered = recorded.find((event) => event.type === 'ModelVersionRegistered')!;
      const { version, runId } = registered.data as { version: number; runId: string };
      const lineage = await api.request<{
        lineage: { nodes: { nodeId: string; kind: string }[]; edges: { from: string; to: string }[] };
      }>(
        'query($id: ID!) { lineage(id: $id, direction: UPSTREAM, depth: 5) { nodes { nodeId kind } edges { from to } } }',
        { id: `model:llama-med@${version}` },
      );
      expect(lineage.errors).toBeUndefined();
      const ids = lineage.data!.lineage.nodes.map((node) => node.nodeId);
      expect(ids).toContain(`run:${runId}`);
      expect(lineage.data!.lineage.nodes.some((node) => node.kind === 'DATASET_REVISION')).toBe(true);
      expect(lineage.data!.lineage.edges).toContainEqual({
        from: `run:${runId}`,
        to: `model:llama-med@${version}`,
      });

      // The ids the API hands out elsewhere name the same nodes: a promotion's NAME@V, a runId.
      const byApiId = await api.request<{ lineage: { nodes: { nodeId: string }[] } }>(
        'query($id: ID!) { lineage(id: $id, direction: UPSTREAM, depth: 5) { nodes { nodeId } } }',
        { id: `llama-med@${version}` },
      );
      expect(byApiId.errors).toBeUndefined();
      expect(byApiId.data!.lineage.nodes.map((node) => node.nodeId).sort()).toEqual([...ids].sort());
      const byRunId = await api.request<{ lineage: { nodes: { nodeId: string }[] } }>(
        'query($id: ID!) { lineage(id: $id, direction: DOWNSTREAM, depth: 1) { nodes { nodeId } } }',
        { id: runId },
      );
      expect(byRunId.errors).toBeUndefined();
      expect(byRunId.data!.lineage.nodes.map((node) => node.nodeId)).toContain(`model:llama-med@${version}`);
      // An id no node has is NOT_FOUND, live and as of a moment, not an empty graph.
      for (const [unknown, at] of [
        ['model:llama-med@999999', null],
        ['no-such-run', null],
        ['llama-med@999999', recorded.at(-1)!.metadata.recordedAt],
      ] as const) {
        const missing = await api.request(
          'query($id: ID!, $at: DateTime) { lineage(id: $id, asOf: $at) { nodes { nodeId } } }',
          { id: unknown, at },
        );
        expect(missing.errors?.[0]?.extensions?.code, unknown).toBe('NOT_FOUND');
        expect(missing.errors?.[0]?.message).toContain(unknown);
      }
    });

    it('filters every list by a time window, strictly after and before, across pages', async () => {
      type Connection = {
        edges: { cursor: string; node: Record<string, string> }[];
        pageInfo: { hasNextPage: boolean };
      };
      const deploymentName = (events.find((event) => event.type === 'DeploymentRequested')!.data as Data)
        .deploymentName as string;
      // Each list: its root field, the arguments' prefix, its time field and id field.
      const lists = [
        { field: 'runs', prefix: 'requested', time: 'requestedAt', id: 'runId' },
        { field: 'evaluations', prefix: 'requested', time: 'requestedAt', id: 'evaluationId' },
        { field: 'datasets', prefix: 'registered', time: 'registeredAt', id: 'datasetId' },
        { field: 'interactions', prefix: 'recorded', time: 'recordedAt', id: 'interactionId' },
        { field: 'jobs', prefix: 'requested', time: 'requestedAt', id: 'jobId' },
        { field: 'history', prefix: 'recorded', time: 'recordedAt', id: 'eventId', deploymentName },
      ];
      for (const list of lists) {
        const selection = (args: string) =>
          `${list.field}(first: $first, after: $after${args}) { edges { cursor node { ${list.id} ${list.time} } } pageInfo { hasNextPage } }`;
        const document = (args: string) => {
          // Declare only the variables the arguments use (an unused variable is a validation error).
          const declared = ['$first: Int!', '$after: String']
            .concat(args.includes('$from') ? ['$from: DateTime'] : [])
            .concat(args.includes('$to') ? ['$to: DateTime'] : [])
            .concat(list.deploymentName ? ['$name: String!'] : [])
            .join(', ');
          return list.deploymentName
            ? `query(${declared}) { deployment(deploymentName: $name) { ${selection(args)} } }`
            : `query(${declared}) { ${selection(args)} }`;
        };
        const all = async (args: string, variables: Data, first: number) => {
          const nodes: Record<string, string>[] = [];
          let after: string | null = null;
          for (;;) {
            const response = await api.request<Data>(document(args), {
              ...variables,
              first,
              after,
              name: list.deploymentName,
            });
            expect(response.errors, list.field).toBeUndefined();
            const page = (
              list.deploymentName
                ? (response.data!.deployment as Data)[list.field]
                : response.data![list.field]
            ) as Connection;
            nodes.push(...page.edges.map((edge) => edge.node));
            if (!page.pageInfo.hasNextPage) return nodes;
            after = page.edges.at(-1)!.cursor;
          }
        };
        const everything = await all('', {}, 500);
        const times = [...new Set(everything.map((node) => node[list.time]!))].sort();
        expect(times.length, `${list.field} needs rows at several moments`).toBeGreaterThan(2);
        const from = times[Math.floor(times.length / 3)]!;
        const to = times[Math.floor((2 * times.length) / 3)]!;
        const ids = (keep: (at: number) => boolean) =>
          everything.filter((node) => keep(Date.parse(node[list.time]!))).map((node) => node[list.id]);
        const [fromMs, toMs] = [Date.parse(from), Date.parse(to)];
        const window = `, ${list.prefix}After: $from, ${list.prefix}Before: $to`;
        const inWindow = await all(window, { from, to }, 2);
        expect(
          inWindow.map((node) => node[list.id]),
          list.field,
        ).toEqual(ids((at) => at > fromMs && at < toMs));
        const afterOnly = await all(`, ${list.prefix}After: $from`, { from }, 3);
        expect(
          afterOnly.map((node) => node[list.id]),
          list.field,
        ).toEqual(ids((at) => at > fromMs));
        const beforeOnly = await all(`, ${list.prefix}Before: $to`, { to }, 3);
        expect(
          beforeOnly.map((node) => node[list.id]),
          list.field,
        ).toEqual(ids((at) => at < toMs));

        const empty = await api.request(document(window), {
          first: 5,
          from: to,
          to: from,
          name: list.deploymentName,
        });
        expect(empty.errors?.[0]?.extensions?.code, list.field).toBe('BAD_USER_INPUT');
        expect(empty.errors?.[0]?.message).toMatch(/window is empty.*must be earlier than before/);
      }
    });

    it('rejects a cursor it never issued and a page size over the limit with BAD_USER_INPUT', async () => {
      const bad = await api.request('{ runs(after: "bm9wZQ") { edges { cursor } } }');
      expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const big = await api.request('{ runs(first: 501) { edges { cursor } } }');
      expect(big.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(big.errors?.[0]?.message).toMatch(/first must be an integer from 1 to 500/);
    });

    it('builds the audit report of a deployment as it stood at a moment, over GraphQL and REST', async () => {
      const recorded = (await api.store.readAll('', 100_000)).events;
      const activations = recorded.filter((event) => event.type === 'DeploymentActivated');
      const byName = new Map<string, typeof activations>();
      for (const event of activations) {
        const name = (event.data as { deploymentName: string }).deploymentName;
        byName.set(name, [...(byName.get(name) ?? []), event]);
      }
      const [name, history] = [...byName].find(([, list]) => list.length >= 2)!;
      const versionOf = (event: (typeof activations)[number]) =>
        (event.data as { model: { version: number } }).model.version;
      const [first, second] = [history[0]!, history[1]!];
      expect(versionOf(first)).not.toBe(versionOf(second));
      type Answer = {
        auditReport: {
          modelName: string;
          version: number;
          deploymentName: string;
          asOf: string;
          allChainsIntact: boolean;
          report: { deployments: { deploymentName: string; events: { type: string }[] }[] };
        } | null;
      };
      const query = `query($d: String!, $at: DateTime!) { auditReport(deployment: $d, asOf: $at) { modelName version deploymentName asOf allChainsIntact report } }`;
      // Between the two activations the first version was live; after the last one, the last version.
      const between = new Date(
        (Date.parse(first.metadata.recordedAt) + Date.parse(second.metadata.recordedAt)) / 2,
      );
      const then = await api.request<Answer>(query, {
        d: name,
        at:
          Date.parse(second.metadata.recordedAt) > Date.parse(first.metadata.recordedAt)
            ? between.toISOString()
            : first.metadata.recordedAt,
      });
      expect(then.errors).toBeUndefined();
      expect(then.data!.auditReport).toMatchObject({
        deploymentName: name,
        version: versionOf(first),
      });
      expect(then.data!.auditReport!.allChainsIntact).toBe(true);
      const now = await api.request<Answer>(query, { d: name, at: new Date().toISOString() });
      expect(now.data!.auditReport!.version).toBe(versionOf(history[history.length - 1]!));
      expect(
        now.data!.auditReport!.report.deployments.find((deployment) => deployment.deploymentName === name)
          ?.events,
      ).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'DeploymentActivated' })]));
      const before = await api.request<Answer>(query, {
        d: name,
        at: new Date(Date.parse(first.metadata.recordedAt) - 60_000).toISOString(),
      });
      expect(before.data?.auditReport ?? null).toBeNull();

      const rest = await fetch(
        api.server.url.replace(
          '/graphql',
          `/reports/deployments/${name}?asOf=${encodeURIComponent(between.toISOString())}&format=json`,
        ),
      );
      expect(rest.status).toBe(200);
      expect(((await rest.json()) as { subject: { version: number } }).subject.version).toBe(
        versionOf(first),
      );
    });

    it('builds an audit report of a version with every chain verified, and notices a tampered event', async () => {
      const recorded = (await api.store.readAll('', 100_000)).events;
      const registered = recorded.find((event) => event.type === 'ModelVersionRegistered')!;
      const { version, runId } = registered.data as { version: number; runId: string };
      const requested = recorded.find(
        (event) => event.type === 'TrainingRunRequested' && (event.data as Data).runId === runId,
      )!;
      const dataset = (requested.data as { dataset: { id: string; revision: number; contentHash: string } })
        .dataset;
      type Answer = {
        auditReport: {
          allChainsIntact: boolean;
          integrity: { streamId: string; ok: boolean; firstBrokenVersion: number | null }[];
          report: {
            runs: { runId: string; events: { type: string }[]; progress: { reports: number } | null }[];
            datasetRevisions: { data: { contentHash: string; revision: number } }[];
            registry: { type: string; data: { version: number } }[];
          };
          markdown: string;
        };
      };
      const query = `{ auditReport(modelName: "llama-med", version: ${version}) { allChainsIntact integrity { streamId ok firstBrokenVersion } report markdown } }`;
      const intact = await api.request<Answer>(query);
      expect(intact.errors).toBeUndefined();
      const audit = intact.data!.auditReport;
      expect(audit.allChainsIntact).toBe(true);
      expect(audit.report.runs.map((run) => run.runId)).toContain(runId);
      // Every event of the run but its progress reports, which are summarised (and still verified).
      const runInReport = audit.report.runs.find((run) => run.runId === runId)!;
      const runStream = recorded.filter((event) => event.streamId === `run-${runId}`);
      expect(runInReport.events.map((event) => event.type)).toEqual(
        runStream.filter((event) => event.type !== 'TrainingProgressReported').map((event) => event.type),
      );
      const progressReports = runStream.filter((event) => event.type === 'TrainingProgressReported').length;
      expect(progressReports).toBeGreaterThan(0);
      expect(runInReport.progress?.reports).toBe(progressReports);
      const everyEvent = await api.request<Answer>(
        `{ auditReport(modelName: "llama-med", version: ${version}, includeProgress: true) { allChainsIntact integrity { streamId ok firstBrokenVersion } report markdown } }`,
      );
      expect(
        everyEvent
          .data!.auditReport.report.runs.find((run) => run.runId === runId)!
          .events.map((event) => event.type),
      ).toEqual(runStream.map((event) => event.type));
      expect(audit.report.datasetRevisions).toContainEqual(
        expect.objectContaining({
          data: expect.objectContaining({ contentHash: dataset.contentHash, revision: dataset.revision }),
        }),
      );
      expect(audit.report.registry[0]).toMatchObject({ type: 'ModelVersionRegistered', data: { version } });
      expect(audit.integrity.map((result) => result.streamId)).toEqual(
        expect.arrayContaining([`run-${runId}`, 'model-llama-med', `dataset-${dataset.id}`]),
      );
      expect(audit.markdown).toContain(`### Run ${runId}`);

      const html = await fetch(
        api.server.url.replace('/graphql', `/reports/models/llama-med/${version}?format=html`),
      );
      expect(html.status).toBe(200);
      expect(html.headers.get('content-type')).toMatch(/text\/html/);
      expect(await html.text()).toContain(`<h3>Run ${runId}</h3>`);

      // Alter one stored event behind the store's back (the append-only trigger is bypassed for this).
      await database.db.transaction().execute(async (trx) => {
        await sql`SET LOCAL session_replication_role = replica`.execute(trx);
        await sql`UPDATE events SET data = jsonb_set(data, '{seed}', '999') WHERE stream_id = ${`run-${runId}`} AND stream_version = 1`.execute(
          trx,
        );
      });
      const tampered = (await api.request<Answer>(query)).data!.auditReport;
      expect(tampered.allChainsIntact).toBe(false);
      expect(tampered.integrity.find((result) => result.streamId === `run-${runId}`)).toMatchObject({
        ok: false,
        firstBrokenVersion: 1,
      });
    });
  });
}
