/**
 * rewardScores over GraphQL: a reward model trained from rankings by the training worker and registered,
 * then asked through the API to score answers. The scores are those of the registered artifact loaded by
 * hand (whether it learnt the preference is test/ml/rewardModel.test.ts's business); refusals are client errors.
 * The same reward model, registered as `capitals-reward`, scores the served interactions of model `capitals`
 * in the background (InteractionRewardScoring), and the flywheel filters praised answers by those scores.
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
import { InteractionRewardScoring, unpackTar, type WorkerHandle } from '../../src/workers/index.js';
import {
  registerCapitalPreferences,
  startTrainingTestPlatform,
  startTrainingWorker,
  type TrainingTestPlatform,
} from '../workers/support.js';
import { startHarness, type Harness } from './harness.js';

const admin = { actor: 'ana', roles: ['admin'] };
const query = `query($v: Int!, $p: String!, $a: [String!]!) {
  rewardScores(modelName: "capitals-reward", version: $v, prompt: $p, answers: $a)
}`;

describe('rewardScores and served interactions scored by the current reward model (pglite)', () => {
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
        targetModel: 'capitals-reward',
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
    await until(async () => (await t.store.readStream('model-capitals-reward')).length > 0, 30_000);
    await t.runner.waitFor((await t.store.readStream('model-capitals-reward')).at(-1)!.checkpoint, {
      timeoutMs: 60_000,
    });
    const cacheDir = mkdtempSync(join(tmpdir(), 'tl-reward-cache-'));
    scorer = new RegistryRewardScorer(
      registryModelResolver({ store: t.store, artifacts: t.artifacts, untar: unpackTar, cacheDir }),
    );
    api = await startHarness(t.database, {
      rewardScorer: scorer,
      services: t.services,
      projections: t.runner,
      artifacts: t.artifacts,
    });
  }, 180_000);

  /** The registered reward model, loaded by hand from the registry's files (the caller disposes it). */
  async function registeredRewardModelByHand() {
    const files = await registryModelResolver({
      store: t.store,
      artifacts: t.artifacts,
      untar: unpackTar,
      cacheDir: mkdtempSync(join(tmpdir(), 'tl-reward-files-')),
    }).resolve({ name: 'capitals-reward', version: 1 });
    const { model, head } = loadRewardModel(files.adapterDir!, files.baseDir);
    return { model, head, tokenizer: await loadTokenizer(files.baseDir) };
  }

  afterAll(async () => {
    await worker?.stop();
    await api?.close();
    scorer?.dispose();
    await t?.close();
  });

  it('scores answers exactly as the registered reward model loaded by hand does', async () => {
    // The same figures as the artifact loaded by hand from the registry's files.
    const { model, head, tokenizer } = await registeredRewardModelByHand();
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

  // The same reward model scores served interactions of `capitals` in the background.
  const interactionQuery = `query($id: ID!) {
    interaction(interactionId: $id) { interactionId rewardScore rewardModelName rewardModelVersion }
  }`;
  type Scored = {
    rewardScore: number | null;
    rewardModelName: string | null;
    rewardModelVersion: number | null;
  };
  const scoredOf = async (id: string) =>
    (await api.request<{ interaction: Scored }>(interactionQuery, { id })).data!.interaction;

  it('scores served interactions of `capitals` in batches off the request path, records and shows each score, and the flywheel filters by it', async () => {
    const serve = (interactionId: string, modelName: string, prompt: string, response: string) =>
      t.services.feedback.recordInteraction(
        {
          interactionId,
          model: { name: modelName, version: 1 },
          prompt,
          response,
          latencyMs: 5,
          tokens: { prompt: 4, completion: 2 },
        },
        admin,
      );
    // Five of model `capitals` (two batches of 2 and one of 1), one the reward model's context cannot hold,
    // one of another model (no `other-reward` is registered).
    const served = [
      ['i-lima', 'Capital of Peru?', 'Lima.'],
      ['i-nairobi', 'Capital of Peru?', 'Nairobi.'],
      ['i-paris', 'Capital of France?', 'Paris.'],
      ['i-rome', 'Capital of France?', 'Rome.'],
      ['i-kenya', 'Capital of Kenya?', 'Nairobi.'],
    ] as const;
    for (const [id, prompt, response] of served) await serve(id, 'capitals', prompt, response);
    await serve('i-long', 'capitals', 'Capital of Peru? '.repeat(400), 'Lima.');
    await serve('i-other', 'other', 'Capital of Peru?', 'Lima.');

    const scoring = new InteractionRewardScoring({
      db: t.database.db,
      services: t.services,
      scorer,
      batchSize: 2,
    }).start(50);
    try {
      await expect
        .poll(
          async () =>
            (await Promise.all(served.map(([id]) => scoredOf(id)))).every((s) => s.rewardScore !== null),
          {
            timeout: 60_000,
            interval: 200,
          },
        )
        .toBe(true);
    } finally {
      await scoring.stop();
    }

    // Each score is the registered reward model's for that prompt and answer, scored by hand one prompt at a time.
    const { model, head, tokenizer } = await registeredRewardModelByHand();
    const byHand = new Map(
      served.map(([id, prompt, response]) => [
        id,
        scoreResponses(model, head, tokenizer, alpacaFormat, { instruction: prompt }, [response])[0]!,
      ]),
    );
    model.dispose();
    head.dispose();
    for (const [id] of served) {
      const shown = await scoredOf(id);
      expect(shown.rewardScore).toBeCloseTo(byHand.get(id)!, 4);
      expect(shown).toMatchObject({ rewardModelName: 'capitals-reward', rewardModelVersion: 1 });
      const events = (await t.store.readStream(`interaction-${id}`)).filter(
        (e) => e.type === 'InteractionRewardScored',
      );
      expect(events).toHaveLength(1);
      expect(events[0]!.data).toMatchObject({ rewardModel: { name: 'capitals-reward', version: 1 } });
      expect(events[0]!.metadata.actor).toBe('reward-scorer');
    }
    // Nothing recorded for the exchange that fills the context, nor for a model without a reward model.
    for (const id of ['i-long', 'i-other']) {
      expect(await scoredOf(id)).toMatchObject({ rewardScore: null, rewardModelName: null });
      expect((await t.store.readStream(`interaction-${id}`)).map((e) => e.type)).toEqual([
        'InteractionRecorded',
      ]);
    }

    // A second pass over the same interactions scores nothing again (once per reward-model version).
    await t.runner.waitFor((await t.store.readStream('interaction-i-kenya')).at(-1)!.checkpoint, {
      timeoutMs: 30_000,
    });
    const again = await new InteractionRewardScoring({
      db: t.database.db,
      services: t.services,
      scorer,
    }).pass();
    expect(again).toEqual({ scored: 0, unscorable: 1 });

    // The flywheel: every answer praised; a minimum reward between Lima's and Nairobi's leaves the lower out.
    const ingested = await api.request<{ m: { datasetId: string } }>(
      'mutation($input: DatasetIngestInput!) { m: ingestDataset(input: $input) { datasetId } }',
      {
        input: {
          name: 'capitals-qa',
          content: '{"instruction":"Capital of Spain?","output":"Madrid."}\n',
          format: 'ALPACA',
          allowSmallEvalSplit: true,
        },
      },
    );
    expect(ingested.errors).toBeUndefined();
    for (const [id] of served) {
      const labelled = await api.request(
        'mutation($i: ID!) { labelFeedback(interactionId: $i, label: { thumbs: UP }) { id } }',
        { i: id },
      );
      expect(labelled.errors).toBeUndefined();
    }
    await t.runner.waitFor((await t.store.readStream('interaction-i-kenya')).at(-1)!.checkpoint, {
      timeoutMs: 30_000,
    });
    const sorted = [...byHand.values()].sort((a, b) => a - b);
    const minReward = (sorted[1]! + sorted[2]!) / 2;
    const kept = served.filter(([id]) => byHand.get(id)! >= minReward).map(([id]) => id);
    expect(kept).toHaveLength(3);
    const built = await api.request<{
      m: { added: number; considered: number; skipped: Record<string, number> };
    }>(
      `mutation($input: FlywheelRevisionInput!) {
        m: buildFlywheelRevision(input: $input) { added considered skipped }
      }`,
      { input: { datasetId: ingested.data!.m.datasetId, modelName: 'capitals', minReward, evalFraction: 0 } },
    );
    expect(built.errors).toBeUndefined();
    expect(built.data!.m).toEqual({ considered: 5, added: 3, skipped: { 'low-reward': 2 } });
    const revision = (await t.store.readStream(`dataset-${ingested.data!.m.datasetId}`)).at(-1)!.data as {
      sourceInteractions: string[];
      transform: { params: { minReward: number } };
    };
    expect([...revision.sourceInteractions].sort()).toEqual([...kept].sort());
    expect(revision.transform.params.minReward).toBe(minReward);
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
