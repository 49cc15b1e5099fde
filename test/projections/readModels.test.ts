import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventRegistry } from '../../src/domain/index.js';
import { PostgresEventStore, type NewEvent } from '../../src/eventstore/index.js';
import {
  allProjections,
  deploymentAsOf,
  getDeployment,
  getEvaluation,
  getModel,
  getRun,
  lineageNodeId,
  lineageOf,
  listDatasets,
  listInteractions,
  listJobs,
  listPreferencePrompts,
  listModelVersions,
  listRuns,
  ProjectionRunner,
  registryAsOf,
  runMetrics,
} from '../../src/projections/index.js';
import {
  appendLifecycle,
  generateLifecycle,
  untilVisible,
  type LifecycleAppend,
} from '../../bench/projections.js';
import pg from 'pg';
import { databaseTargets, postgresUrl, type TestDatabase } from '../support/databases.js';

type Data = Record<string, unknown> & { runId: string; step: number };

/** What the read models must show, computed straight from the generated events (no projection code). */
function expectations(appends: readonly LifecycleAppend[]) {
  const events = appends.flatMap((a) => a.events);
  const metricKeys = new Set<string>();
  const runStatus = new Map<string, string>();
  const retained = new Map<number, boolean>();
  let active: number | undefined;
  const jobs = new Map<string, string>();
  for (const event of events) {
    const data = event.data as Data;
    switch (event.type) {
      case 'TrainingProgressReported':
        metricKeys.add(`${data.runId}/${data.step}`);
        break;
      case 'TrainingRunRequested':
        runStatus.set(data.runId, 'requested');
        jobs.set(`train-${data.runId}`, 'queued');
        break;
      case 'TrainingRunCompleted':
        runStatus.set(data.runId, 'completed');
        jobs.set(`train-${data.runId}`, 'succeeded');
        break;
      case 'TrainingRunFailed':
        runStatus.set(data.runId, 'failed');
        jobs.set(`train-${data.runId}`, 'failed');
        break;
      case 'ModelVersionRegistered':
        retained.set(data['version'] as number, true);
        break;
      case 'ModelVersionArchived':
        retained.set(data['version'] as number, false);
        break;
      case 'DeploymentActivated':
        active = (data['model'] as { version: number }).version;
        break;
      case 'RolledBack':
        active = data['toVersion'] as number;
        break;
      case 'EvaluationCompleted':
        jobs.set(`evaluate-${data['evaluationId'] as string}`, 'succeeded');
        break;
    }
  }
  return { events, metricKeys, runStatus, retained, active, jobs };
}

for (const target of databaseTargets) {
  describe(`read models on ${target.name}`, () => {
    let database: TestDatabase;
    let store: PostgresEventStore;
    beforeAll(async () => {
      database = await target.open();
    });
    afterAll(() => database.close());
    beforeEach(async () => {
      await database.reset();
      store = new PostgresEventStore(database, { pollIntervalMs: 50 });
    });

    it('generated events are valid against the domain schemas', () => {
      for (const append of generateLifecycle({ events: 1500, progressPerRun: 30 })) {
        for (const event of append.events)
          expect(() => eventRegistry.validate(event.type, event.data)).not.toThrow();
      }
    });

    it('projects a lifecycle into every read model, matching counts computed from the events', async () => {
      const appends = generateLifecycle({ events: 1500, progressPerRun: 60 });
      const { checkpoint } = await appendLifecycle(store, appends);
      const runner = new ProjectionRunner({
        db: database.db,
        store,
        projections: allProjections,
        batchSize: 300,
      });
      await runner.catchUp({ until: checkpoint });
      const expected = expectations(appends);

      expect(runner.status().every((s) => s.checkpoint !== '' && !s.lastError)).toBe(true);
      const { count } = database.db.fn;
      const metrics = await database.db
        .selectFrom('run_metrics')
        .select(count('step').as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(metrics.n)).toBe(expected.metricKeys.size);

      for (const [runId, status] of expected.runStatus)
        expect((await getRun(database.db, runId))?.status).toBe(status);
      // A run that lost its lease re-reported steps after its checkpoint: one point per step, the later one.
      const resumed = [...expected.runStatus.keys()].find((id) => id.endsWith('-1'))!;
      const series = await runMetrics(database.db, resumed, { first: 500 });
      expect(series.items.map((p) => p.step)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));

      const versions = await listModelVersions(database.db, 'llama-med', { first: 500 });
      expect(versions.items.map((v) => [v.version, v.retained])).toEqual(
        [...expected.retained].sort((a, b) => a[0] - b[0]),
      );
      expect(versions.items.filter((v) => v.retained)).toHaveLength(3);
      const model = await getModel(database.db, 'llama-med');
      expect(versions.items.find((v) => v.stage === 'production')?.version).toBe(model?.production_version);

      expect((await getDeployment(database.db, 'med-assistant'))?.active_version).toBe(expected.active);
      for (const [jobId, status] of expected.jobs) {
        const page = await listJobs(database.db, {
          streamId: jobId.replace(/^train-/, 'run-').replace(/^evaluate-/, 'eval-'),
        });
        expect(page.items.find((job) => job.job_id === jobId)?.status).toBe(status);
      }

      // Datasets, evaluations and feedback against counts taken from the events themselves.
      const all = appends.flatMap((a) => a.events);
      const ofType = (type: string) =>
        all.filter((e) => e.type === type).map((e) => e.data as Record<string, unknown>);
      const revisions = ofType('DatasetRevisionAdded');
      const datasets = await listDatasets(database.db, { first: 100 });
      expect(datasets.items.map((d) => [d.dataset_id, d.revision_count]).sort()).toEqual(
        ofType('DatasetRegistered')
          .map((d) => [d['datasetId'], revisions.filter((r) => r['datasetId'] === d['datasetId']).length])
          .sort(),
      );
      for (const completed of ofType('EvaluationCompleted')) {
        const evaluation = await getEvaluation(database.db, completed['evaluationId'] as string);
        expect(evaluation?.status).toBe('completed');
        expect(evaluation?.gate_passed).toBe((completed['gate'] as { passed: boolean }).passed);
        expect(evaluation?.metrics).toEqual(completed['metrics']);
      }
      const labels = ofType('FeedbackLabeled');
      const labelled = await listInteractions(database.db, { labelledOnly: true, first: 500 });
      expect(labelled.items.map((i) => i.interaction_id).sort()).toEqual(
        [...new Set(labels.map((l) => l['interactionId'] as string))].sort(),
      );
      expect((await listInteractions(database.db, { first: 500 })).items).toHaveLength(
        ofType('InteractionRecorded').length,
      );
      const ranked = await listPreferencePrompts(database.db, { rankedOnly: true, first: 500 });
      expect(ranked.items.map((p) => p.ranking_count)).toEqual(ofType('PreferenceRanked').map(() => 1));

      // Pagination walks every run exactly once.
      const seen: string[] = [];
      for (let after: string | null = null; ;) {
        const page = await listRuns(database.db, { first: 3, after });
        seen.push(...page.items.map((r) => r.run_id));
        if (!page.nextCursor) break;
        after = page.nextCursor;
      }
      expect(seen.sort()).toEqual([...expected.runStatus.keys()].sort());

      // The in-memory fold of time travel and the SQL read models agree on the present.
      const now = await deploymentAsOf(store, 'med-assistant', new Date(Date.now() + 1000));
      const modelNode = lineageNodeId.modelVersion('llama-med', now!.active!.version);
      const live = await lineageOf(database.db, modelNode, { direction: 'upstream' });
      expect(live.nodes.map((n) => n.node_id).sort()).toEqual(now!.lineage.nodes.map((n) => n.nodeId).sort());
      expect(live.edges.map((e) => e.event_id).sort()).toEqual(
        now!.lineage.edges.map((e) => e.eventId).sort(),
      );
      const registryNow = await registryAsOf(store, new Date(Date.now() + 1000));
      expect(
        [...registryNow.get('llama-med')!.versions.values()].map((v) => [v.version, v.stage, v.retained]),
      ).toEqual(versions.items.map((v) => [v.version, v.stage, v.retained]));

      // Live lineage: the deployed version goes back to its run and dataset revision.
      const lineage = await lineageOf(database.db, lineageNodeId.deployment('med-assistant'));
      const kinds = new Set(lineage.nodes.map((n) => n.kind));
      expect([...kinds].sort()).toEqual(expect.arrayContaining(['dataset-revision', 'model-version', 'run']));
    });

    // PostgreSQL only: embedded PGlite has one connection, so no other transaction can hold an append back.
    if (target.name === 'postgres')
      it('catchUp({ until }) waits for an append held back by a transaction open elsewhere on the server', async () => {
        const blocker = new pg.Client({ connectionString: postgresUrl });
        await blocker.connect();
        try {
          await blocker.query('BEGIN');
          await blocker.query('SELECT pg_current_xact_id()');
          const [append] = generateLifecycle({ events: 5 });
          const { checkpoint } = await appendLifecycle(store, [append!]);
          const runner = new ProjectionRunner({ db: database.db, store, projections: allProjections });
          await runner.catchUp();
          expect(runner.status().every((s) => s.checkpoint < checkpoint)).toBe(true);
          await expect(runner.catchUp({ until: checkpoint, timeoutMs: 300 })).rejects.toThrow(
            /did not become visible/,
          );
          setTimeout(() => void blocker.query('COMMIT'), 200);
          await runner.catchUp({ until: checkpoint });
          expect(runner.status().every((s) => s.checkpoint >= checkpoint)).toBe(true);
          expect((await listDatasets(database.db, { first: 10 })).items).toHaveLength(1);
        } finally {
          await blocker.end();
        }
      });

    it('upcasts a v1 progress report (tokensSeen) before applying it', async () => {
      const runner = new ProjectionRunner({ db: database.db, store, projections: allProjections });
      const [request] = generateLifecycle({ events: 10, progressPerRun: 1 })
        .filter((a) => a.streamId.startsWith('run-'))
        .map((a) => a.events[0]!);
      const runId = (request!.data as Data).runId;
      const v1: NewEvent = {
        type: 'TrainingProgressReported',
        schemaVersion: 1,
        data: {
          runId,
          step: 1,
          totalSteps: 10,
          stageIndex: 0,
          epoch: 0.1,
          loss: 2,
          learningRate: 1e-4,
          gradNorm: 1,
          tokensSeen: 5000,
          elapsedMs: 2000,
          etaMs: 18000,
          attempt: 1,
          reportedAt: '2026-01-01T00:00:10.000Z',
        },
      };
      const appended = await store.append(`run-${runId}`, [request!, v1], 'no_stream', { actor: 'test' });
      await untilVisible(store, appended.events[1]!.checkpoint);
      const names = allProjections.map((p) => p.name);
      expect(await runner.lag()).toEqual(Object.fromEntries(names.map((name) => [name, 2])));
      runner.start();
      await runner.waitFor(appended.events[1]!.checkpoint);
      await runner.stop();
      expect(await runner.lag()).toEqual(Object.fromEntries(names.map((name) => [name, 0])));
      const series = await runMetrics(database.db, runId);
      expect(series.items[0]?.tokens_per_second).toBeCloseTo(2500, 6);
    });

    it('answers which version was active at T and its lineage, from the log as it stood then', async () => {
      const appends = generateLifecycle({ events: 3000, progressPerRun: 20 });
      const activations = appends.filter((a) => a.events.some((e) => e.type === 'DeploymentActivated'));
      // Cut the history just after the second activation.
      const cut = appends.indexOf(activations[1]!) + 1;
      await appendLifecycle(store, appends.slice(0, cut));
      await new Promise((resolve) => setTimeout(resolve, 20));
      const at = new Date();
      await new Promise((resolve) => setTimeout(resolve, 20));
      const { checkpoint } = await appendLifecycle(store, appends.slice(cut));
      await untilVisible(store, checkpoint);

      const before = expectations(appends.slice(0, cut));
      const after = expectations(appends);
      const then = await deploymentAsOf(store, 'med-assistant', at);
      expect(then?.active?.version).toBe(before.active);
      expect((await deploymentAsOf(store, 'med-assistant', new Date()))?.active?.version).toBe(after.active);

      // The active version's lineage: its run, and that run's dataset revision (and parents).
      const activated = activations[1]!.events.find((e) => e.type === 'DeploymentActivated')!;
      const version = (activated.data as { model: { version: number } }).model.version;
      const registered = appends
        .flatMap((a) => a.events)
        .find(
          (e) => e.type === 'ModelVersionRegistered' && (e.data as { version: number }).version === version,
        )!;
      const { runId, trainingSummary } = registered.data as {
        runId: string;
        trainingSummary: { datasetId: string; datasetRevision: number };
      };
      const ids = then!.lineage.nodes.map((n) => n.nodeId);
      expect(ids).toContain(lineageNodeId.run(runId));
      expect(ids).toContain(
        lineageNodeId.datasetRevision(trainingSummary.datasetId, trainingSummary.datasetRevision),
      );
      const registryThen = await registryAsOf(store, at);
      const retainedThen = [...before.retained].filter(([, kept]) => kept).map(([v]) => v);
      expect(
        [...registryThen.get('llama-med')!.versions.values()].filter((v) => v.retained).map((v) => v.version),
      ).toEqual(retainedThen);
    });
  });
}
