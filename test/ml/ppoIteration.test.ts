/**
 * PPO end to end on a micro model: batched generation agrees with one-at-a-time generation; against a reward
 * model trained here to prefer answers that end with one token, the mean reward rises over a few PPO
 * iterations while the KL to the reference stays bounded; and a run stopped at an iteration boundary and
 * resumed from its checkpoint ends with bitwise the same adapter as a run that never stopped.
 */
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generate,
  generateBatch,
  initBackend,
  KlController,
  LlamaModel,
  makeRewardBatch,
  ppoIteration,
  ppoOptionsSchema,
  RewardHead,
  rewardScores,
  Rng,
  Trainer,
  ValueHead,
  type LinearModule,
  type PreferencePair,
  type Rollout,
  type RolloutScorer,
} from '../../src/ml/index.js';
import { microConfig as config } from './microConfig.js';

const EOS = 2;
const GOOD = 17;
const LORA = {
  r: 4,
  alpha: 8,
  dropout: 0,
  targetModules: ['q_proj', 'v_proj', 'down_proj'] as LinearModule[],
};

let dir: string;
beforeAll(async () => {
  await initBackend();
  dir = mkdtempSync(join(tmpdir(), 'tl-ppo-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('generateBatch', () => {
  it('gives each prompt what generate gives it alone (greedy), across prompt lengths', () => {
    const model = LlamaModel.random(config, 9, 0.5);
    const prompts = [
      [1, 4, 5],
      [1, 6],
      [1, 7, 8],
      [1, 9],
      [1, 3, 3],
    ];
    const batched = generateBatch(model, prompts, { maxTokens: 6, temperature: 0 }, new Rng(0));
    prompts.forEach((prompt, i) => {
      const alone = generate(model, prompt, { maxTokens: 6 });
      expect(batched.tokens[i]).toEqual(alone.tokens);
      expect(batched.finishReasons[i]).toBe(alone.finishReason === 'stop_token' ? 'stop_token' : 'length');
    });
    // One prefill pass per prompt length (two), then every sequence decodes in the same steps, whatever its
    // length: at most 2 + 5 passes, where decoding each length group on its own takes up to 2 x 6.
    expect(batched.steps).toBeLessThanOrEqual(7);
    model.dispose();
  });

  it('keeps the stop token when asked, and samples reproducibly from a seeded generator', () => {
    const model = LlamaModel.random(config, 9, 0.5);
    const prompts = Array.from({ length: 12 }, (_, i) => [1, 3 + (i % 5)]);
    const run = () =>
      generateBatch(model, prompts, { maxTokens: 8, temperature: 1, keepStopToken: true }, new Rng(4));
    const a = run();
    expect(run().tokens).toEqual(a.tokens);
    a.tokens.forEach((t, i) => {
      if (a.finishReasons[i] === 'stop_token') expect(t[t.length - 1]).toBe(EOS);
      else expect(t).toHaveLength(8);
    });
    model.dispose();
  });
});

/**
 * A reward model trained on pairs whose answers are the same random tokens, except that the chosen one ends
 * with GOOD and the rejected one with another token: it learns to prefer answers that end with GOOD.
 */
function trainRewardModel(): { model: LlamaModel; head: RewardHead } {
  const rng = new Rng(21);
  const token = () => 3 + Math.floor(rng.next() * 14);
  const pairs: PreferencePair[] = Array.from({ length: 24 }, (_, i) => {
    const prompt = [1, token()];
    const body = Array.from({ length: i % 3 }, token);
    const example = (last: number) => {
      const ids = [...prompt, ...body, last, EOS];
      return { ids, lossMask: ids.map((_, t) => (t >= prompt.length ? 1 : 0)) };
    };
    return { chosen: example(GOOD), rejected: example(token()) };
  });
  const model = LlamaModel.random(config, 31, 0.3);
  const head = RewardHead.create(config.hiddenSize, new Rng(3), 0.3);
  const trainer = new Trainer(
    model,
    { mode: 'lora', lora: LORA, learningRate: 2e-2, totalSteps: 40, seed: 1 },
    { rewardHead: head },
  );
  for (let step = 0; step < 40; step++) trainer.trainRewardStep(pairs);
  trainer.dispose();
  return { model, head };
}

/** Scores rollouts as the reward model was trained: the answer closed by EOS. */
function scorerOf(reward: { model: LlamaModel; head: RewardHead }): RolloutScorer {
  return (rollouts: readonly Rollout[]) => {
    const examples = rollouts.map((r) => {
      const answer = r.response[r.response.length - 1] === EOS ? r.response : [...r.response, EOS];
      const ids = [...r.prompt, ...answer];
      return { ids, lossMask: ids.map((_, t) => (t >= r.prompt.length ? 1 : 0)) };
    });
    return tf.tidy(() => rewardScores(reward.model, reward.head, makeRewardBatch(examples)).dataSync());
  };
}

const PROMPTS = Array.from({ length: 16 }, (_, i) => [1, 3 + (i % 14)]);
const PPO = ppoOptionsSchema.parse({
  epochs: 2,
  minibatches: 2,
  klCoefficient: 0.2,
  targetKl: 1,
  klHorizon: 160,
});

function newRun(seed: number) {
  const model = LlamaModel.random(config, 41, 0.3);
  const valueHead = ValueHead.create(config.hiddenSize, new Rng(seed), 0.02);
  const trainer = new Trainer(
    model,
    { mode: 'lora', lora: LORA, learningRate: 3e-2, totalSteps: 1000, seed },
    { valueHead },
  );
  return { model, valueHead, trainer, kl: new KlController(PPO.klCoefficient, PPO.targetKl, PPO.klHorizon) };
}

function iterate(run: ReturnType<typeof newRun>, scorer: RolloutScorer, iteration: number, seed: number) {
  return ppoIteration({
    trainer: run.trainer,
    valueHead: run.valueHead,
    prompts: PROMPTS,
    scorer,
    klController: run.kl,
    options: PPO,
    generation: { maxTokens: 3, temperature: 1 },
    seed: seed * 100003 + iteration,
  });
}

function adapterHash(model: LlamaModel): string {
  const hash = createHash('sha256');
  for (const [key, v] of [...model.trainableVariables()].sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(key);
    hash.update(Buffer.from((v.dataSync() as Float32Array).buffer));
  }
  return hash.digest('hex');
}

describe('ppoIteration', () => {
  let reward: { model: LlamaModel; head: RewardHead };
  beforeAll(() => {
    reward = trainRewardModel();
  });
  afterAll(() => {
    reward.model.dispose();
    reward.head.dispose();
  });

  it('raises the mean reward of a reward model that prefers answers ending with one token, KL bounded', () => {
    const scorer = scorerOf(reward);
    const run = newRun(5);
    const history = Array.from({ length: 12 }, (_, i) => iterate(run, scorer, i, 5));
    const first = (history[0]!.meanReward + history[1]!.meanReward) / 2;
    const last = (history[10]!.meanReward + history[11]!.meanReward) / 2;
    const spread = history[0]!.maxReward - history[0]!.minReward;
    expect(last - first).toBeGreaterThan(0.25 * spread);
    // The KL grew past its target of 1 nat, so the adaptive coefficient ended above where it started.
    expect(history[11]!.nextKlCoefficient).toBeGreaterThan(PPO.klCoefficient);
    for (const h of history) {
      expect(Math.abs(h.meanKl)).toBeLessThan(5);
      expect(h.entropy).toBeGreaterThan(0);
      expect(h.clipFraction).toBeGreaterThanOrEqual(0);
      expect(h.clipFraction).toBeLessThanOrEqual(1);
      expect(Number.isFinite(h.valueLoss)).toBe(true);
    }
    run.trainer.dispose();
    run.model.dispose();
    run.valueHead.dispose();
  });

  it('resumes from a checkpoint at an iteration boundary to bitwise the adapter of an unbroken run', () => {
    const scorer = scorerOf(reward);
    const straight = newRun(8);
    for (let i = 0; i < 4; i++) iterate(straight, scorer, i, 8);

    const first = newRun(8);
    for (let i = 0; i < 2; i++) iterate(first, scorer, i, 8);
    first.trainer.saveState(join(dir, 'ppo-ckpt'));
    const klValue = first.kl.value;
    const resumed = newRun(8);
    resumed.trainer.loadState(join(dir, 'ppo-ckpt'));
    resumed.kl.value = klValue;
    for (let i = 2; i < 4; i++) iterate(resumed, scorer, i, 8);
    expect(adapterHash(resumed.model)).toBe(adapterHash(straight.model));
    expect(resumed.valueHead.toHost().get('v_head.weight')!.data).toEqual(
      straight.valueHead.toHost().get('v_head.weight')!.data,
    );
    for (const run of [straight, first, resumed]) {
      run.trainer.dispose();
      run.model.dispose();
      run.valueHead.dispose();
    }
  });
});
