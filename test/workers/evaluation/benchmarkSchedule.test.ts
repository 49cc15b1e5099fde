/**
 * The benchmark schedule with an injected clock: at each weekly slot it requests the standard benchmark
 * evaluation of the production version (once, however often it ticks), and a benchmark F1 that falls more
 * than the threshold below the version's first result records DegradationDetected on its deployment.
 * The evaluations are completed through the services as a worker would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentStream } from '../../../src/domain/index.js';
import { PostgresEventStore } from '../../../src/eventstore/index.js';
import { allProjections, listEvaluations, ProjectionRunner } from '../../../src/projections/index.js';
import { createServices, manualClock, uuidIds, type Services } from '../../../src/services/index.js';
import { BenchmarkSchedule } from '../../../src/workers/evaluation/index.js';
import { pgliteTarget, type TestDatabase } from '../../support/databases.js';
import { completeRun, datasetWithRevision, requestRun } from '../../support/lifecycle.js';

const ana = { actor: 'ana', roles: ['admin'] };
const worker = { actor: 'w1', roles: ['worker'] };

describe('benchmark schedule (pglite)', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let services: Services;
  let runner: ProjectionRunner;
  const clock = manualClock('2026-11-30T01:00:00.000Z'); // a Monday

  beforeAll(async () => {
    database = await pgliteTarget.open();
    store = new PostgresEventStore(database, { pollIntervalMs: 50 });
    services = createServices({ store, clock, ids: uuidIds, baseModelCheck: async () => true });
    runner = new ProjectionRunner({
      db: database.db,
      store,
      projections: allProjections,
      pollIntervalMs: 50,
    });
    runner.start();
  });
  afterAll(async () => {
    await runner?.stop();
    await database?.close();
  });

  const complete = async (evaluationId: string, f1: number) => {
    await services.evaluations.claimEvaluation({ evaluationId, workerId: 'w1', leaseMs: 60_000 }, worker);
    await services.evaluations.completeEvaluation({ evaluationId, workerId: 'w1', metrics: { f1 } }, worker);
  };
  const visible = (count: number) =>
    expect
      .poll(
        async () =>
          (await listEvaluations(database.db, { modelName: 'm', status: 'completed', first: 100 })).items
            .length,
        { timeout: 10_000, interval: 50 },
      )
      .toBe(count);

  it('requests weekly benchmark evaluations and records a benchmark degradation on the deployment', async () => {
    await datasetWithRevision(services, 'bench', ana, 10);
    await requestRun(services, 'r1', 'bench', ana);
    await completeRun(services, 'r1', worker);
    await services.models.registerModelVersion({ modelName: 'm', runId: 'r1' }, ana);
    const { evaluationId: gateId } = await services.evaluations.requestEvaluation(
      { model: { name: 'm', version: 1 }, dataset: { id: 'bench', revision: 1 }, suites: ['f1'] },
      ana,
    );
    await complete(gateId, 0.9);
    await services.models.promote(
      { modelName: 'm', version: 1, stage: 'production', evaluationIds: [gateId] },
      ana,
    );
    await services.deployments.requestDeployment(
      { deploymentName: 'prod', model: { name: 'm', version: 1 }, environment: 'production' },
      ana,
    );
    await services.deployments.activate({ deploymentName: 'prod', endpoint: 'http://127.0.0.1:1/v1' }, ana);
    await visible(1);
    await expect
      .poll(async () => (await store.readStream('deployment-prod')).length, { timeout: 10_000 })
      .toBe(2);

    const schedule = new BenchmarkSchedule({
      services,
      db: database.db,
      benchmark: { datasetId: 'bench', revision: 1 },
      clock,
      thresholdPct: 10,
    });
    expect(schedule.nextSlot(clock.now()).toISOString()).toBe('2026-11-30T03:00:00.000Z');
    // Before the slot: nothing. The registry read model must show the production stage first.
    await expect.poll(async () => (await schedule.tick()).requested, { timeout: 10_000 }).toEqual([]);

    const week = 7 * 24 * 3600_000;
    const weekly = async (f1: number): Promise<string> => {
      clock.advance(week);
      const { requested } = await schedule.tick();
      expect(requested).toHaveLength(1);
      expect((await schedule.tick()).requested).toEqual([]);
      await complete(requested[0]!, f1);
      return requested[0]!;
    };
    clock.set('2026-11-30T03:00:01.000Z');
    let first: string | undefined;
    await expect
      .poll(
        async () => {
          first = (await schedule.tick()).requested[0];
          return first;
        },
        { timeout: 10_000 },
      )
      .toBe('benchmark-m-v1-2026-11-30T03:00:00.000Z');
    await complete(first!, 0.8);
    await visible(2);

    // 0.8 -> 0.75 is a 6% drop, within the 10% threshold: no degradation.
    await weekly(0.75);
    await visible(3);
    expect((await schedule.tick()).degradations).toEqual([]);

    // Three weeks without a tick: one evaluation for the last slot; 0.8 -> 0.6 is a 25% drop.
    clock.advance(2 * week);
    const third = await weekly(0.6);
    expect(third).toBe('benchmark-m-v1-2026-12-28T03:00:00.000Z');
    await visible(4);
    const { degradations } = await schedule.tick();
    expect(degradations).toEqual([
      { deploymentName: 'prod', evaluationId: third, baseline: 0.8, current: 0.6 },
    ]);
    // Recorded once: a later tick over the same results is a replay.
    expect((await schedule.tick()).degradations).toEqual([]);
    const detected = (await store.readStream(deploymentStream('prod'))).filter(
      (e) => e.type === 'DegradationDetected',
    );
    expect(detected).toHaveLength(1);
    expect(detected[0]!.data).toMatchObject({
      metric: 'benchmark',
      baseline: 0.8,
      current: 0.6,
      model: { name: 'm', version: 1 },
    });
    expect((detected[0]!.data as { changePct: number }).changePct).toBeCloseTo(-25, 9);
  }, 60_000);

  it('refuses a bad cron expression when it is built', () => {
    expect(
      () =>
        new BenchmarkSchedule({
          services,
          db: database.db,
          benchmark: { datasetId: 'bench', revision: 1 },
          clock,
          cron: 'every monday',
        }),
    ).toThrow(/"every monday" is not a cron expression .*use five fields/);
  });
});
