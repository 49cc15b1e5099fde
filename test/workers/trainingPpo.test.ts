/**
 * PPO runs through the training worker on the embedded database: a reward model trained and registered from
 * rankings, then a LoRA PPO run against it, requested through the service as the API does. The run is
 * stopped after a checkpoint and resumed by a second worker; it must register a version and end with
 * exactly the adapter of the same request left uninterrupted (same seed). Its progress carries the rollout
 * statistics, and the recorded request holds every PPO setting resolved.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAuditReport } from '../../src/graphql/audit/auditReport.js';
import { decodeSafetensors } from '../../src/ml/index.js';
import { lineageOf, runMetrics } from '../../src/projections/queries.js';
import { toRunProgressUpdate } from '../../src/graphql/types/runProgress.type.js';
import { unpackTar, type WorkerHandle } from '../../src/workers/index.js';
import {
  registerCapitalPreferences,
  startTrainingWorker,
  startTrainingTestPlatform,
  type TrainingTestPlatform,
} from './support.js';

const admin = { actor: 'ana', roles: ['admin'] };
const LORA = { kind: 'lora' as const, r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj'] };
/** 4 prompts, 2 per step, 3 passes: 6 steps. */
const PPO_STEPS = 6;

interface Progress {
  step: number;
  loss: number;
  meanReward?: number;
  kl?: number;
  klCoefficient?: number;
  entropy?: number;
  clipFraction?: number;
  valueLoss?: number;
  explainedVariance?: number;
}

describe('PPO training runs (pglite)', () => {
  let t: TrainingTestPlatform;
  let worker: WorkerHandle | undefined;

  beforeAll(async () => {
    t = await startTrainingTestPlatform('tuneledger-ppo-');
    expect(await registerCapitalPreferences(t.services, t.artifacts, admin)).toBe(4);
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
  });

  const events = (runId: string) => t.store.readStream(`run-${runId}`);
  const outcome = (runId: string) =>
    expect.poll(async () => (await events(runId)).find((e) => /Completed|Failed/.test(e.type))?.type, {
      timeout: 120_000,
      interval: 100,
    });
  const completed = async (runId: string) =>
    (await events(runId)).find((e) => e.type === 'TrainingRunCompleted')!.data as {
      artifact: { kind: string; hash: string };
    };

  const requestPpo = async (target: string) =>
    (
      await t.services.runs.requestTrainingRun(
        {
          baseModel: { name: 'tiny', source: { kind: 'path', path: t.modelDir } },
          dataset: { id: 'capital-prefs', revision: 1 },
          method: {
            kind: 'ppo',
            parameters: LORA,
            rewardModel: { name: 'capitals-rm', version: 1 },
            klCoefficient: 0.1,
            clipRange: 0.2,
            rolloutsPerStep: 2,
            epochs: 2,
            minibatches: 2,
            targetKl: 2,
            maxResponseTokens: 4,
          },
          stages: [{ name: 'ppo', learningRate: 1e-2, batchSize: 2, epochs: 3 }],
          loss: { kind: 'cross-entropy' },
          seed: 11,
          promptFormat: 'alpaca',
          targetModel: target,
        },
        admin,
      )
    ).runId;

  it('trains a reward model, then a PPO run against it that resumes on a second worker to the same adapter', async () => {
    const rewardRun = (
      await t.services.runs.requestTrainingRun(
        {
          baseModel: { name: 'tiny', source: { kind: 'path', path: t.modelDir } },
          dataset: { id: 'capital-prefs', revision: 1 },
          method: { kind: 'reward-model', parameters: LORA },
          stages: [{ name: 'reward', learningRate: 1e-2, batchSize: 4, epochs: 4 }],
          loss: { kind: 'cross-entropy' },
          seed: 4,
          promptFormat: 'alpaca',
          targetModel: 'capitals-rm',
        },
        admin,
      )
    ).runId;
    worker = startTrainingWorker(t, { checkpointEvery: 2 });
    await outcome(rewardRun).toBe('TrainingRunCompleted');
    await expect
      .poll(async () => (await t.store.readStream('model-capitals-rm')).length, { timeout: 10_000 })
      .toBeGreaterThan(0);

    // The uninterrupted run first, then the same request stopped after its first checkpoint.
    const straightId = await requestPpo('capitals-ppo-straight');
    await outcome(straightId).toBe('TrainingRunCompleted');
    const runId = await requestPpo('capitals-ppo');
    await expect
      .poll(async () => (await events(runId)).some((e) => e.type === 'CheckpointSaved'), {
        timeout: 60_000,
        interval: 25,
      })
      .toBe(true);
    await worker.stop();
    worker = startTrainingWorker(t, { checkpointEvery: 2 });
    await outcome(runId).toBe('TrainingRunCompleted');
    await worker.stop();
    worker = undefined;

    // The recorded request holds the settings the worker trained with, defaults resolved.
    const requested = (await events(runId))[0]!.data as { method: Record<string, unknown> };
    expect(requested.method).toMatchObject({
      kind: 'ppo',
      gamma: 1,
      lambda: 0.95,
      epochs: 2,
      minibatches: 2,
      clipRange: 0.2,
      clipRangeValue: 0.2,
      valueCoefficient: 0.1,
      klCoefficient: 0.1,
      klControl: 'adaptive',
      targetKl: 2,
      klHorizon: 10000,
      maxResponseTokens: 4,
    });

    const recorded = await events(runId);
    const claims = recorded.filter((e) => e.type === 'TrainingRunClaimed');
    expect(claims).toHaveLength(2);
    const resumeFrom = (claims[1]!.data as { resumeFrom?: { step: number; artifactHash: string } })
      .resumeFrom;
    expect(resumeFrom?.step).toBeGreaterThan(0);
    expect(resumeFrom!.step).toBeLessThan(PPO_STEPS);
    // The checkpoint holds the value head beside the adapter, and the KL controller's state.
    const checkpoint = unpackTar(await t.artifacts.get(resumeFrom!.artifactHash));
    const trainable = decodeSafetensors(checkpoint.get('trainable.safetensors')!).tensors;
    expect(trainable.has('v_head.weight')).toBe(true);
    expect([...trainable.keys()].some((k) => k.includes('lora_A'))).toBe(true);
    const position = JSON.parse(checkpoint.get('position.json')!.toString()) as { klCoefficient?: number };
    expect(position.klCoefficient).toBeGreaterThan(0);

    const progress = recorded
      .filter((e) => e.type === 'TrainingProgressReported')
      .map((e) => e.data as Progress);
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: PPO_STEPS }, (_, i) => i + 1));
    for (const p of progress) {
      expect(Number.isFinite(p.meanReward)).toBe(true);
      expect(Number.isFinite(p.kl)).toBe(true);
      expect(p.entropy).toBeGreaterThan(0);
      expect(p.clipFraction).toBeGreaterThanOrEqual(0);
      expect(p.clipFraction).toBeLessThanOrEqual(1);
      expect(p.valueLoss).toBeGreaterThanOrEqual(0);
      expect(p.klCoefficient).toBeGreaterThan(0);
    }
    // The adapter starts at zero: the first rollouts are the reference's own, so their KL is zero.
    expect(progress[0]!.kl).toBeCloseTo(0, 5);
    // Adaptive KL: the coefficient moved from the requested 0.1 after the first step.
    expect(progress[0]!.klCoefficient).toBe(0.1);
    expect(progress.at(-1)!.klCoefficient).not.toBe(0.1);

    const straight = (await events(straightId))
      .filter((e) => e.type === 'TrainingProgressReported')
      .map((e) => e.data as Progress);
    expect(progress.map((p) => [p.meanReward, p.kl])).toEqual(straight.map((p) => [p.meanReward, p.kl]));
    const resumed = await completed(runId);
    expect(resumed.artifact.kind).toBe('adapter');
    expect(resumed.artifact.hash).toBe((await completed(straightId)).artifact.hash);

    const versions = (await t.store.readStream('model-capitals-ppo')).filter(
      (e) => e.type === 'ModelVersionRegistered',
    );
    expect(versions).toHaveLength(1);
    expect((versions[0]!.data as { trainingSummary: { method: string } }).trainingSummary.method).toBe('ppo');

    // runProgress carries the rollout statistics of each step.
    const update = toRunProgressUpdate(
      runId,
      recorded.find((e) => e.type === 'TrainingProgressReported')!,
    );
    expect(update.meanReward).toBe(progress[0]!.meanReward);
    expect(update.kl).toBe(progress[0]!.kl);
    expect(update.clipFraction).toBe(progress[0]!.clipFraction);

    // The runs read model keeps them in the metric series.
    await expect
      .poll(async () => (await runMetrics(t.database.db, runId, { first: 100 })).items.length, {
        timeout: 10_000,
      })
      .toBe(PPO_STEPS);
    const rows = (await runMetrics(t.database.db, runId, { first: 100 })).items;
    expect(rows.map((r) => r.mean_reward)).toEqual(progress.map((p) => p.meanReward));
    expect(rows.map((r) => r.kl)).toEqual(progress.map((p) => p.kl));
    expect(rows.map((r) => r.value_loss)).toEqual(progress.map((p) => p.valueLoss));

    // Lineage: the reward model version is upstream of the PPO run, and the audit report names it.
    const subject = 'model:capitals-ppo@1';
    await expect
      .poll(
        async () =>
          (await lineageOf(t.database.db, subject)).edges.some(
            (e) =>
              e.from_node === 'model:capitals-rm@1' &&
              e.to_node === `run:${runId}` &&
              e.relation === 'reward-model',
          ),
        { timeout: 10_000 },
      )
      .toBe(true);
    const report = (await buildAuditReport(
      { store: t.store, db: t.database.db as never },
      { modelName: 'capitals-ppo', version: 1 },
    ))!;
    const ppoRun = report.runs.find((r) => r.runId === runId)!;
    expect(ppoRun.modelsUsed).toEqual([{ role: 'reward-model', modelName: 'capitals-rm', version: 1 }]);
    expect(report.runs.map((r) => r.runId)).toContain(rewardRun);
  });

  it('refuses a PPO request whose reward model is a policy version, recording nothing', async () => {
    const before = await t.store.head();
    await expect(
      t.services.runs.requestTrainingRun(
        {
          baseModel: { name: 'tiny', source: { kind: 'path', path: t.modelDir } },
          dataset: { id: 'capital-prefs', revision: 1 },
          method: {
            kind: 'ppo',
            parameters: LORA,
            rewardModel: { name: 'capitals-ppo', version: 1 },
            klCoefficient: 0.1,
            clipRange: 0.2,
            rolloutsPerStep: 2,
          },
          stages: [{ name: 'ppo', learningRate: 1e-2, batchSize: 2, epochs: 1 }],
          loss: { kind: 'cross-entropy' },
        },
        admin,
      ),
    ).rejects.toMatchObject({ code: 'MODEL_VERSION_NOT_FOUND' });
    expect(await t.store.head()).toBe(before);
  });
});
