/**
 * DPO runs through the training worker on the embedded database: a preference revision written from
 * rankings, a LoRA run that is stopped after a checkpoint and resumed by a second worker, and a full run.
 * Each must complete, register a model version, and leave a policy that prefers the chosen answers more than
 * the reference does, measured here with a log-softmax of our own over the response tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoraAdapter, loadModel, type LlamaModel } from '../../src/ml/index.js';
import { buildTrainingExample, promptFormatByName } from '../../src/ml/prompts/index.js';
import { loadTokenizer } from '../../src/ml/tokenizers/index.js';
import type { WorkerHandle } from '../../src/workers/index.js';
import {
  CAPITAL_PREFERENCES,
  completedArtifact,
  capitalRecords,
  registerCapitalPreferences,
  startTrainingWorker,
  registerDataset,
  startTrainingTestPlatform,
  type TrainingTestPlatform,
} from './support.js';

const admin = { actor: 'ana', roles: ['admin'] };
const BETA = 0.5;

describe('DPO training runs (pglite)', () => {
  let t: TrainingTestPlatform;
  let worker: WorkerHandle | undefined;

  beforeAll(async () => {
    t = await startTrainingTestPlatform('tuneledger-dpo-');
    expect(await registerCapitalPreferences(t.services, t.artifacts, admin)).toBe(4);
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
  });

  const startWorker = () => startTrainingWorker(t);

  const requestRun = async (parameters: unknown, epochs: number, learningRate: number, target: string) =>
    (
      await t.services.runs.requestTrainingRun(
        {
          baseModel: { name: 'tiny', source: { kind: 'path', path: t.modelDir } },
          dataset: { id: 'capital-prefs', revision: 1 },
          method: { kind: 'dpo', parameters, beta: BETA } as never,
          stages: [{ name: 'dpo', learningRate, batchSize: 4, epochs }],
          loss: { kind: 'cross-entropy' },
          seed: 4,
          promptFormat: 'alpaca',
          targetModel: target,
        },
        admin,
      )
    ).runId;

  const events = (runId: string) => t.store.readStream(`run-${runId}`);
  const finished = (runId: string) =>
    expect
      .poll(async () => (await events(runId)).find((e) => /Completed|Failed/.test(e.type))?.type, {
        timeout: 60_000,
        interval: 100,
      })
      .toBe('TrainingRunCompleted');

  /**
   * Mean implicit reward margin beta * ((pc - rc) - (pr - rr)) over the training pairs: summed log p of the
   * response tokens, from the logits by a log-softmax written here.
   */
  const meanMargin = async (policy: LlamaModel, reference: LlamaModel) => {
    const all = await margins(policy, reference);
    return all.reduce((a, m) => a + m, 0) / all.length;
  };

  /** Each training pair's implicit reward margin beta * ((pc - rc) - (pr - rr)). */
  const margins = async (policy: LlamaModel, reference: LlamaModel) => {
    const tokenizer = await loadTokenizer(t.modelDir);
    const format = promptFormatByName('alpaca', tokenizer);
    const logp = (model: LlamaModel, instruction: string, output: string) => {
      const example = buildTrainingExample({ instruction, output }, format, tokenizer, { maxLength: 256 });
      const logits = model.logits([example.inputIds]);
      let sum = 0;
      for (let t = 1; t < example.inputIds.length; t++) {
        if (!example.lossMask[t]) continue;
        const row = logits[0]![t - 1]!;
        const max = Math.max(...row);
        const logZ = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
        sum += row[example.inputIds[t]!]! - logZ;
      }
      return sum;
    };
    return CAPITAL_PREFERENCES.map(([country, right, wrong]) => {
      const instruction = `Capital of ${country}?`;
      const chosen = logp(policy, instruction, right) - logp(reference, instruction, right);
      const rejected = logp(policy, instruction, wrong) - logp(reference, instruction, wrong);
      return BETA * (chosen - rejected);
    });
  };

  it('trains a LoRA DPO run, resumes it on a second worker, and registers an adapter that prefers the chosen answers', async () => {
    const runId = await requestRun(
      {
        kind: 'lora',
        r: 8,
        alpha: 16,
        dropout: 0,
        targetModules: ['q_proj', 'v_proj', 'o_proj', 'down_proj'],
      },
      24,
      1e-2,
      'capitals-dpo',
    );
    worker = startWorker();
    await expect
      .poll(async () => (await events(runId)).some((e) => e.type === 'CheckpointSaved'), {
        timeout: 30_000,
        interval: 25,
      })
      .toBe(true);
    await worker.stop();
    worker = startWorker();
    await finished(runId);
    await worker.stop();
    worker = undefined;

    const recorded = await events(runId);
    const claims = recorded.filter((e) => e.type === 'TrainingRunClaimed');
    expect(claims).toHaveLength(2);
    const resumedFrom = (claims[1]!.data as { resumeFrom?: { step: number } }).resumeFrom?.step ?? 0;
    expect(resumedFrom).toBeGreaterThan(0);
    // DPO trains on the training thread alone, whatever the worker's gradient-worker setting.
    for (const claim of claims)
      expect((claim.data as { backend: { device: string } }).backend.device).not.toContain('gradient worker');
    const steps = recorded
      .filter((e) => e.type === 'TrainingProgressReported')
      .map((e) => e.data as { step: number; loss: number });
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    // The adapter starts at zero: the policy is its reference and the loss is log 2.
    expect(steps[0]!.loss).toBeCloseTo(Math.log(2), 2);
    expect(steps.at(-1)!.loss).toBeLessThan(0.3);

    const {
      artifact: { kind },
      dir,
      metrics,
    } = await completedArtifact(t, runId, 'adapter');
    expect(kind).toBe('adapter');
    expect(metrics['rewardAccuracy']).toBe(1);
    const versions = (await t.store.readStream('model-capitals-dpo')).filter(
      (e) => e.type === 'ModelVersionRegistered',
    );
    expect(versions).toHaveLength(1);
    expect((versions[0]!.data as { runId: string }).runId).toBe(runId);

    const reference = loadModel(t.modelDir);
    const policy = loadModel(t.modelDir);
    const before = await meanMargin(policy, reference);
    policy.lora = LoraAdapter.load(dir, policy.config);
    const after = await meanMargin(policy, reference);
    console.info(
      `DPO LoRA: mean implicit reward margin ${before.toFixed(3)} before, ${after.toFixed(3)} after`,
    );
    expect(before).toBeCloseTo(0, 6);
    expect(after).toBeGreaterThan(before + 1);
    reference.dispose();
    policy.dispose();
  });

  it('trains against a registry version as the reference: the first loss is the one that version implies', async () => {
    // capitals-dpo v1 was registered by the LoRA run above: base + its adapter, which prefers the chosen
    // answers. The new policy starts at the base, so its first loss is mean softplus(-margin) with margins
    // of the base against that version, computed here from the logits; against the base it would be log 2.
    const runId = (
      await t.services.runs.requestTrainingRun(
        {
          baseModel: { name: 'tiny', source: { kind: 'path', path: t.modelDir } },
          dataset: { id: 'capital-prefs', revision: 1 },
          method: {
            kind: 'dpo',
            beta: BETA,
            referenceModel: { name: 'capitals-dpo', version: 1 },
            parameters: { kind: 'lora', r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj'] },
          },
          stages: [{ name: 'dpo', learningRate: 1e-2, batchSize: 4, epochs: 2 }],
          loss: { kind: 'cross-entropy' },
          seed: 4,
          promptFormat: 'alpaca',
          targetModel: 'capitals-dpo-ref',
        },
        admin,
      )
    ).runId;
    worker = startWorker();
    await finished(runId);
    await worker.stop();
    worker = undefined;
    const first = (await events(runId)).find((e) => e.type === 'TrainingProgressReported')!.data as {
      step: number;
      loss: number;
    };
    expect(first.step).toBe(1);
    const { dir } = await completedArtifact(t, (await registeredRun('capitals-dpo', 1))!, 'adapter');
    const base = loadModel(t.modelDir);
    const version = loadModel(t.modelDir);
    version.lora = LoraAdapter.load(dir, version.config);
    const expected =
      (await margins(base, version)).reduce((a, m) => a + Math.log1p(Math.exp(-m)), 0) /
      CAPITAL_PREFERENCES.length;
    console.info(
      `DPO against capitals-dpo v1: first loss ${first.loss.toFixed(4)}, by hand ${expected.toFixed(4)}`,
    );
    expect(expected).toBeGreaterThan(Math.log(2) + 0.5);
    expect(first.loss).toBeCloseTo(expected, 2);
    base.dispose();
    version.dispose();
  });

  const registeredRun = async (name: string, version: number) =>
    (
      (await t.store.readStream(`model-${name}`)).find(
        (e) => e.type === 'ModelVersionRegistered' && (e.data as { version: number }).version === version,
      )?.data as { runId: string } | undefined
    )?.runId;

  it('trains a full DPO run against a frozen copy of the base and registers its weights', async () => {
    const runId = await requestRun({ kind: 'full' }, 8, 2e-3, 'capitals-dpo-full');
    worker = startWorker();
    await finished(runId);
    await worker.stop();
    worker = undefined;
    const {
      artifact: { kind },
      dir,
    } = await completedArtifact(t, runId, 'weights');
    expect(kind).toBe('weights');
    expect(
      (await t.store.readStream('model-capitals-dpo-full')).filter(
        (e) => e.type === 'ModelVersionRegistered',
      ),
    ).toHaveLength(1);
    const reference = loadModel(t.modelDir);
    const policy = loadModel(dir);
    const after = await meanMargin(policy, reference);
    console.info(`DPO full: mean implicit reward margin 0 before, ${after.toFixed(3)} after`);
    expect(after).toBeGreaterThan(0.5);
    reference.dispose();
    policy.dispose();
  });

  it('refuses a DPO run on a dataset that is not of preference format', async () => {
    await registerDataset(t.services, t.artifacts, admin, 'plain', capitalRecords());
    await expect(
      t.services.runs.requestTrainingRun(
        {
          baseModel: { name: 'tiny', source: { kind: 'path', path: t.modelDir } },
          dataset: { id: 'plain', revision: 1 },
          method: { kind: 'dpo', parameters: { kind: 'full' }, beta: BETA },
          stages: [{ name: 'dpo', learningRate: 1e-3, batchSize: 4, epochs: 1 }],
          loss: { kind: 'cross-entropy' },
          seed: 1,
        },
        admin,
      ),
    ).rejects.toMatchObject({ code: 'METHOD_NEEDS_PREFERENCE_DATASET' });
  });
});
