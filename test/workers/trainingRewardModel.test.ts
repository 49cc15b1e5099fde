/**
 * Reward-model runs through the training worker on the embedded database: a preference revision written from
 * rankings, a LoRA run stopped after a checkpoint and resumed by a second worker, compared step by step and
 * head by head with the same run left uninterrupted; a full run; and the refusal of an entity-weighted loss.
 * The registered artifact is loaded as a user would and must score every chosen answer above its rejected one.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerModelCommand } from '../../src/app/commands/model.command.js';
import { decodeSafetensors, loadRewardModel, scoreResponses } from '../../src/ml/index.js';
import { promptFormatByName } from '../../src/ml/prompts/index.js';
import { loadTokenizer } from '../../src/ml/tokenizers/index.js';
import { runTraining, unpackTar, type WorkerHandle } from '../../src/workers/index.js';
import type { TrainingMessage, TrainingSpec } from '../../src/workers/training/trainingMessages.js';
import {
  CAPITAL_PREFERENCES,
  completedArtifact,
  registerCapitalPreferences,
  startTrainingWorker,
  startTrainingTestPlatform,
  writeTinyModel,
  type TrainingTestPlatform,
} from './support.js';

const admin = { actor: 'ana', roles: ['admin'] };

/** Runs `tuneledger model ...` in this process; returns what it printed. */
async function tuneledger(...args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerModelCommand(program);
  let stdout = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'tuneledger', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return stdout;
}
const LORA = {
  kind: 'lora',
  r: 8,
  alpha: 16,
  dropout: 0,
  targetModules: ['q_proj', 'v_proj', 'o_proj', 'down_proj'],
};
const STEPS = 12;

interface Progress {
  step: number;
  loss: number;
  rewardAccuracy?: number;
  rewardMargin?: number;
}

describe('reward-model training runs (pglite)', () => {
  let t: TrainingTestPlatform;
  let worker: WorkerHandle | undefined;

  beforeAll(async () => {
    t = await startTrainingTestPlatform('tuneledger-rm-');
    expect(await registerCapitalPreferences(t.services, t.artifacts, admin)).toBe(4);
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
  });

  const startWorker = () => startTrainingWorker(t, { mergeWeights: true });

  const requestRun = async (
    parameters: unknown,
    target: string,
    options: { epochs?: number; learningRate?: number; loss?: unknown } = {},
  ) =>
    (
      await t.services.runs.requestTrainingRun(
        {
          baseModel: { name: 'tiny', source: { kind: 'path', path: t.modelDir } },
          dataset: { id: 'capital-prefs', revision: 1 },
          method: { kind: 'reward-model', parameters } as never,
          stages: [
            {
              name: 'reward',
              learningRate: options.learningRate ?? 1e-2,
              batchSize: 4,
              epochs: options.epochs ?? STEPS,
            },
          ],
          loss: (options.loss ?? { kind: 'cross-entropy' }) as never,
          seed: 4,
          promptFormat: 'alpaca',
          targetModel: target,
        },
        admin,
      )
    ).runId;

  const events = (runId: string) => t.store.readStream(`run-${runId}`);
  const outcome = (runId: string) =>
    expect.poll(async () => (await events(runId)).find((e) => /Completed|Failed/.test(e.type))?.type, {
      timeout: 60_000,
      interval: 100,
    });
  const progressOf = async (runId: string) =>
    (await events(runId)).filter((e) => e.type === 'TrainingProgressReported').map((e) => e.data as Progress);

  /** Rewards of each prompt's right and wrong answer from the stored artifact, loaded as a user would. */
  const rewardsOf = async (dir: string, base?: string) => {
    const { model, head, config } = loadRewardModel(dir, base);
    const tokenizer = await loadTokenizer(t.modelDir);
    const format = promptFormatByName(config.prompt_format ?? 'alpaca', tokenizer);
    const rewards = CAPITAL_PREFERENCES.map(([country, right, wrong]) =>
      scoreResponses(model, head, tokenizer, format, { instruction: `Capital of ${country}?` }, [
        right,
        wrong,
      ]),
    );
    model.dispose();
    head.dispose();
    return rewards;
  };

  it('trains a LoRA reward model, resumes it on a second worker with its head, and registers it', async () => {
    const runId = await requestRun(LORA, 'capitals-rm');
    worker = startWorker();
    await expect
      .poll(async () => (await events(runId)).some((e) => e.type === 'CheckpointSaved'), {
        timeout: 30_000,
        interval: 25,
      })
      .toBe(true);
    await worker.stop();
    worker = startWorker();
    await outcome(runId).toBe('TrainingRunCompleted');
    // The same run, never interrupted: the resumed one must take exactly its steps.
    const straightId = await requestRun(LORA, 'capitals-rm-straight');
    await outcome(straightId).toBe('TrainingRunCompleted');
    await worker.stop();
    worker = undefined;

    const recorded = await events(runId);
    const claims = recorded.filter((e) => e.type === 'TrainingRunClaimed');
    expect(claims).toHaveLength(2);
    const resumedFrom = (claims[1]!.data as { resumeFrom?: { step: number } }).resumeFrom?.step ?? 0;
    expect(resumedFrom).toBeGreaterThan(0);
    expect(resumedFrom).toBeLessThan(STEPS);
    for (const claim of claims)
      expect((claim.data as { backend: { device: string } }).backend.device).not.toContain('gradient worker');

    const steps = await progressOf(runId);
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
    for (const s of steps) {
      expect(s.rewardAccuracy).toBeGreaterThanOrEqual(0);
      expect(s.rewardAccuracy).toBeLessThanOrEqual(1);
      expect(Number.isFinite(s.rewardMargin)).toBe(true);
    }
    // The head starts at normal(0, 0.02): rewards near zero, a loss near log 2.
    expect(steps[0]!.loss).toBeCloseTo(Math.log(2), 1);
    expect(steps.at(-1)!.loss).toBeLessThan(0.3);
    expect(steps.at(-1)!.rewardAccuracy).toBe(1);
    const straight = await progressOf(straightId);
    straight.forEach((s, i) => expect(steps[i]!.loss).toBeCloseTo(s.loss, 4));

    // The checkpoint the second worker resumed from holds the head beside the adapter.
    const resumeHash = (claims[1]!.data as { resumeFrom: { artifactHash: string } }).resumeFrom.artifactHash;
    const checkpoint = unpackTar(await t.artifacts.get(resumeHash));
    expect(decodeSafetensors(checkpoint.get('trainable.safetensors')!).tensors.has('score.weight')).toBe(
      true,
    );

    const resumed = await completedArtifact(t, runId, 'rm');
    expect(resumed.artifact.kind).toBe('reward-model');
    expect(resumed.files).toEqual([
      'adapter_config.json',
      'adapter_model.safetensors',
      'reward_config.json',
      'reward_head.safetensors',
    ]);
    expect(resumed.metrics['rewardAccuracy']).toBe(1);
    const head = (files: { dir: string }) =>
      decodeSafetensors(readFileSync(join(files.dir, 'reward_head.safetensors'))).tensors.get('score.weight')!
        .data;
    const uninterrupted = await completedArtifact(t, straightId, 'rm-straight');
    const a = head(resumed);
    const b = head(uninterrupted);
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 5));

    const versions = (await t.store.readStream('model-capitals-rm')).filter(
      (e) => e.type === 'ModelVersionRegistered',
    );
    expect(versions).toHaveLength(1);
    const version = versions[0]!.data as {
      runId: string;
      artifacts: { adapter?: string; merged?: string };
      trainingSummary: { method: string };
    };
    expect(version.runId).toBe(runId);
    expect(version.trainingSummary.method).toBe('reward-model');
    // A merged causal LM has no use for a reward model: none is stored even with mergeWeights.
    expect(version.artifacts.merged).toBeUndefined();
    const completedHash = (
      (await events(runId)).find((e) => e.type === 'TrainingRunCompleted')!.data as {
        artifact: { hash: string };
      }
    ).artifact.hash;
    expect(version.artifacts.adapter).toBe(completedHash);
    // Registered, but never served: the registry knows the version is a reward model.
    await expect(
      t.services.deployments.requestDeployment(
        { deploymentName: 'capitals', model: { name: 'capitals-rm', version: 1 }, environment: 'test' },
        admin,
      ),
    ).rejects.toMatchObject({ code: 'MODEL_VERSION_IS_REWARD_MODEL' });

    const rewards = await rewardsOf(resumed.dir, t.modelDir);
    console.info(
      `reward model LoRA: rewards [right, wrong] ${JSON.stringify(rewards.map((r) => r.map((x) => +x.toFixed(3))))}`,
    );
    for (const [right, wrong] of rewards) expect(right).toBeGreaterThan(wrong!);

    // The same scores from the command line: `tuneledger model score`.
    const [country, right, wrong] = CAPITAL_PREFERENCES[0]!;
    const printed = await tuneledger(
      ...['model', 'score', '--reward', resumed.dir, '--base', t.modelDir],
      ...['--prompt', `Capital of ${country}?`, '--answer', right, '--answer', wrong],
    );
    const { scores } = JSON.parse(printed) as { scores: number[] };
    expect(scores).toHaveLength(2);
    scores.forEach((score, i) => expect(score).toBeCloseTo(rewards[0]![i]!, 5));
    await expect(
      tuneledger('model', 'score', '--reward', resumed.dir, '--prompt', 'Capital?', '--answer', 'x'),
    ).rejects.toThrow(/LoRA adapter: pass the base model/);
    await expect(
      tuneledger('model', 'score', '--reward', resumed.dir, '--base', t.modelDir, '--prompt', 'Capital?'),
    ).rejects.toThrow(/at least one --answer/);
  });

  it('trains a full reward model whose artifact carries its own weights', async () => {
    const runId = await requestRun({ kind: 'full' }, 'capitals-rm-full', { epochs: 12, learningRate: 5e-3 });
    worker = startWorker();
    await outcome(runId).toBe('TrainingRunCompleted');
    await worker.stop();
    worker = undefined;
    const { artifact, files, dir, metrics } = await completedArtifact(t, runId, 'rm-full');
    expect(artifact.kind).toBe('reward-model');
    expect(files).toEqual([
      'config.json',
      'model.safetensors',
      'reward_config.json',
      'reward_head.safetensors',
    ]);
    const rewards = await rewardsOf(dir);
    const accuracy = rewards.filter(([right, wrong]) => right! > wrong!).length / rewards.length;
    console.info(`reward model full: accuracy ${accuracy}, last step ${metrics['rewardAccuracy']}`);
    expect(accuracy).toBe(1);
    expect(
      (await t.store.readStream('model-capitals-rm-full')).filter((e) => e.type === 'ModelVersionRegistered'),
    ).toHaveLength(1);
  });

  it('fails a reward-model run with an entity-weighted loss at once, with a message', async () => {
    const runId = await requestRun(LORA, 'capitals-rm-entity', {
      loss: { kind: 'entity-weighted', entityWeight: 0.3, lexiconHash: 'a'.repeat(64) },
    });
    worker = startWorker();
    await outcome(runId).toBe('TrainingRunFailed');
    await worker.stop();
    worker = undefined;
    const failed = (await events(runId)).find((e) => e.type === 'TrainingRunFailed')!.data as {
      reason: string;
      retryable: boolean;
    };
    expect(failed.reason).toMatch(/reward-model run .* has no entity-weighted loss.*cross-entropy/);
    expect(failed.retryable).toBe(false);
    expect((await events(runId)).some((e) => e.type === 'TrainingRunClaimed')).toBe(false);
  });
});

describe('reward-model runs resumed at a stage boundary (runTraining on this thread)', () => {
  let modelDir: string;
  beforeAll(async () => {
    modelDir = await writeTinyModel(join(mkdtempSync(join(tmpdir(), 'tuneledger-rm-stages-')), 'tiny'));
  });

  const spec = (): TrainingSpec => ({
    runId: 'stages',
    modelDir,
    promptFormat: 'alpaca',
    stages: ['one', 'two'].map((name) => ({
      name,
      learningRate: 1e-2,
      batchSize: 4,
      epochs: 3,
      records: CAPITAL_PREFERENCES.map(([country, right, wrong]) => ({
        record: { instruction: `Capital of ${country}?`, output: right },
        entityTerms: [],
        rejected: wrong,
      })),
    })),
    method: LORA as TrainingSpec['method'],
    objective: { kind: 'reward-model' },
    loss: { kind: 'cross-entropy' },
    seed: 4,
    progressEvery: 1,
    checkpointEvery: 100,
    microBatchSize: 2,
    warmupRatio: 0,
    merge: false,
    gradientWorkers: 0,
  });
  const train = async (resume?: Uint8Array) => {
    const messages: TrainingMessage[] = [];
    await runTraining(spec(), {
      emit: (message) => messages.push(message),
      start: () => Promise.resolve(resume ? { resume } : {}),
      control: new Int32Array(1),
    });
    return messages;
  };
  const headOf = (messages: TrainingMessage[]) => {
    const done = messages.find((m) => m.type === 'done')!;
    const files = unpackTar(done.type === 'done' ? done.adapter : new Uint8Array());
    return decodeSafetensors(files.get('reward_head.safetensors')!).tensors.get('score.weight')!.data;
  };

  it('keeps the head and adapter trained in the first stage', async () => {
    const straight = await train();
    const stageEnd = straight.find((m) => m.type === 'checkpoint' && m.stageIndex === 0);
    expect(stageEnd?.type === 'checkpoint' && stageEnd.step).toBe(3);
    const resumed = await train(stageEnd?.type === 'checkpoint' ? stageEnd.bytes : undefined);
    const losses = (messages: TrainingMessage[]) =>
      messages.flatMap((m) => (m.type === 'progress' ? [[m.step, m.loss] as const] : []));
    const after = losses(resumed);
    expect(after.map(([step]) => step)).toEqual([4, 5, 6]);
    const before = new Map(losses(straight));
    for (const [step, loss] of after) expect(loss).toBeCloseTo(before.get(step)!, 4);
    const want = headOf(straight);
    headOf(resumed).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    // A worker lost after the last checkpoint: the next one trains nothing and stores the trained head.
    const last = straight.find((m) => m.type === 'checkpoint' && m.stageIndex === 1);
    const finished = await train(last?.type === 'checkpoint' ? last.bytes : undefined);
    expect(losses(finished)).toEqual([]);
    headOf(finished).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
  });
});
