/**
 * rewardScores over GraphQL: a reward model trained from rankings by the training worker and registered,
 * then asked through the API to score answers. The scores are those of the registered artifact loaded by
 * hand (whether it learnt the preference is test/ml/rewardModel.test.ts's business); refusals are client errors.
 */
import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRewardModel, scoreResponses } from '../../src/ml/index.js';
import { alpacaFormat } from '../../src/ml/prompts/index.js';
import { loadTokenizer } from '../../src/ml/tokenizers/index.js';
import { RegistryRewardScorer, registryModelResolver } from '../../src/services/index.js';
import { unpackTar, type WorkerHandle } from '../../src/workers/index.js';
import {
  registerCapitalPreferences,
  startTrainingTestPlatform,
  startTrainingWorker,
  type TrainingTestPlatform,
} from '../workers/support.js';
import { startHarness, type Harness } from './harness.js';

const admin = { actor: 'ana', roles: ['admin'] };
const query = `query($v: Int!, $p: String!, $a: [String!]!) {
  rewardScores(modelName: "capitals-rm", version: $v, prompt: $p, answers: $a)
}`;

describe('rewardScores (pglite)', () => {
  let t: TrainingTestPlatform;
  let worker: WorkerHandle | undefined;
  let api: Harness;
  let scorer: RegistryRewardScorer;

  beforeAll(async () => {
    t = await startTrainingTestPlatform('tuneledger-reward-scores-');
    await registerCapitalPreferences(t.services, t.artifacts, admin);
    const { runId } = await t.services.runs.requestTrainingRun(
      {
        baseModel: { name: 'tiny', source: { kind: 'path', path: t.modelDir } },
        dataset: { id: 'capital-prefs', revision: 1 },
        method: {
          kind: 'reward-model',
          parameters: { kind: 'lora', r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj'] },
        },
        stages: [{ name: 'reward', learningRate: 1e-2, batchSize: 4, epochs: 4 }],
        loss: { kind: 'cross-entropy' },
        seed: 4,
        promptFormat: 'alpaca',
        targetModel: 'capitals-rm',
      },
      admin,
    );
    worker = startTrainingWorker(t);
    await until(
      async () => (await t.store.readStream(`run-${runId}`)).some((e) => e.type === 'TrainingRunCompleted'),
      150_000,
    );
    await worker.stop();
    worker = undefined;
    await until(async () => (await t.store.readStream('model-capitals-rm')).length > 0, 30_000);
    await t.runner.waitFor((await t.store.readStream('model-capitals-rm')).at(-1)!.checkpoint, {
      timeoutMs: 60_000,
    });
    const cacheDir = mkdtempSync(join(tmpdir(), 'tl-reward-cache-'));
    scorer = new RegistryRewardScorer(
      registryModelResolver({ store: t.store, artifacts: t.artifacts, untar: unpackTar, cacheDir }),
    );
    api = await startHarness(t.database, { rewardScorer: scorer });
  }, 180_000);

  afterAll(async () => {
    await worker?.stop();
    await api?.close();
    scorer?.dispose();
    await t?.close();
  });

  it('scores answers exactly as the registered reward model loaded by hand does', async () => {
    // The same figures as the artifact loaded by hand from the registry's files.
    const files = await registryModelResolver({
      store: t.store,
      artifacts: t.artifacts,
      untar: unpackTar,
      cacheDir: mkdtempSync(join(tmpdir(), 'tl-reward-files-')),
    }).resolve({ name: 'capitals-rm', version: 1 });
    const { model, head } = loadRewardModel(files.adapterDir!, files.baseDir);
    const tokenizer = await loadTokenizer(files.baseDir);
    const byHand = scoreResponses(model, head, tokenizer, alpacaFormat, { instruction: 'Capital of Peru?' }, [
      'Lima.',
      'Nairobi.',
      'Paris.',
    ]);
    model.dispose();
    head.dispose();
    expect(new Set(byHand).size).toBe(3);
    const answer = await api.request<{ rewardScores: number[] }>(query, {
      v: 1,
      p: 'Capital of Peru?',
      a: ['Lima.', 'Nairobi.', 'Paris.'],
    });
    expect(answer.data!.rewardScores).toHaveLength(3);
    answer.data!.rewardScores.forEach((score, i) => expect(score).toBeCloseTo(byHand[i]!, 5));
  });

  it('refuses an unknown version, no answers, too many and a prompt that fills the context, as client errors', async () => {
    const unknown = await api.request(query, { v: 9, p: 'Capital of Peru?', a: ['Lima.'] });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const none = await api.request(query, { v: 1, p: 'Capital of Peru?', a: [] });
    expect(none.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const many = await api.request(query, {
      v: 1,
      p: 'Capital of Peru?',
      a: Array.from({ length: 17 }, (_, i) => `answer ${i}`),
    });
    expect(many.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(many.errors?.[0]?.message).toMatch(/1 to 16 answers/);
    // A prompt that fills the reward model's context leaves no answer token to score.
    const long = await api.request(query, { v: 1, p: 'Capital of Peru? '.repeat(400), a: ['Lima.'] });
    expect(long.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(long.errors?.[0]?.message).toMatch(/no token left within/);
  });
});

/** Waits (outside a test, where expect.poll is not available) until the condition holds. */
async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
