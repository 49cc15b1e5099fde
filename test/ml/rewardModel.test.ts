/**
 * Reward model: the pairwise loss against hand computations, scores read at the last response token (not at
 * padding), gradients reaching the head and LoRA B, a few trainer steps that learn a toy preference, a
 * checkpoint that resumes with its head, and a save/load round trip that scores identically.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  computeRewardGradients,
  initBackend,
  LlamaModel,
  loadRewardModel,
  makeLlamaConfig,
  makeRewardBatch,
  peftKey,
  REWARD_CONFIG_FILE,
  REWARD_HEAD_TENSOR,
  RewardHead,
  rewardLoss,
  rewardScores,
  Rng,
  saveModel,
  saveRewardModel,
  scoreResponses,
  Trainer,
  type LinearModule,
  type PreferencePair,
  type TrainerOptions,
} from '../../src/ml/index.js';
import { microConfig as config } from './microConfig.js';
import { promptFormatByName } from '../../src/ml/prompts/index.js';
import { ByteTokenizer } from '../../src/ml/tokenizers/index.js';

const LORA = {
  r: 4,
  alpha: 8,
  dropout: 0,
  targetModules: ['q_proj', 'v_proj', 'o_proj', 'down_proj'] as LinearModule[],
};
const EOS = 2;
const GOOD = 17;
const BAD = 18;

/**
 * Eight prompts answered twice: the answers are the same random tokens except that the chosen one carries
 * token 17 where the rejected one carries 18, at varying places, and both end on EOS (so the score's
 * position is the same token in both and only attention can tell them apart). Lengths vary: padding.
 */
function toyPairs(): PreferencePair[] {
  const rng = new Rng(11);
  const token = () => 3 + Math.floor(rng.next() * 14);
  return Array.from({ length: 8 }, (_, i) => {
    const prompt = [1, token(), token()];
    const body = Array.from({ length: 2 + (i % 3) }, token);
    const at = i % (body.length + 1);
    const answer = (mark: number) => [...body.slice(0, at), mark, ...body.slice(at), EOS];
    const example = (mark: number) => {
      const ids = [...prompt, ...answer(mark)];
      return { ids, lossMask: ids.map((_, t) => (t >= prompt.length ? 1 : 0)) };
    };
    return { chosen: example(GOOD), rejected: example(BAD) };
  });
}

let dir: string;
beforeAll(async () => {
  await initBackend();
  dir = mkdtempSync(join(tmpdir(), 'tl-reward-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const softplus = (x: number) => Math.log1p(Math.exp(x));
const scoresOf = (model: LlamaModel, head: RewardHead, examples: PreferencePair['chosen'][]) =>
  tf.tidy(() => [...rewardScores(model, head, makeRewardBatch(examples)).dataSync()]);
const accuracyOf = (model: LlamaModel, head: RewardHead, pairs: PreferencePair[]) => {
  const chosen = scoresOf(
    model,
    head,
    pairs.map((p) => p.chosen),
  );
  const rejected = scoresOf(
    model,
    head,
    pairs.map((p) => p.rejected),
  );
  return chosen.filter((c, i) => c > rejected[i]!).length / pairs.length;
};

describe('rewardLoss', () => {
  it('is mean(softplus(-(r_chosen - r_rejected))) as computed by hand', () => {
    // Margins 1 and -1.5: log(1 + e^-1) = 0.313261688, log(1 + e^1.5) = 1.701413278; mean 1.007337483.
    const { loss, margins } = rewardLoss(tf.tensor1d([1.5, -0.5]), tf.tensor1d([0.5, 1]));
    expect([...margins.dataSync()]).toEqual([1, -1.5]);
    expect(loss.dataSync()[0]).toBeCloseTo(1.007337483, 6);
  });

  it('stays finite for margins far beyond exp range, and its gradient is -sigmoid(-margin) / N', () => {
    const { loss } = rewardLoss(tf.tensor1d([2000, -2000]), tf.tensor1d([0, 0]));
    expect(loss.dataSync()[0]).toBeCloseTo(1000, 2);
    const chosen = [0.3, -1.2, 2.5];
    const rejected = [0.1, 0.4, -0.5];
    const grad = tf.grad((c: tf.Tensor) => rewardLoss(c as tf.Tensor1D, tf.tensor1d(rejected)).loss)(
      tf.tensor1d(chosen),
    );
    [...grad.dataSync()].forEach((g, i) => {
      const margin = chosen[i]! - rejected[i]!;
      expect(g).toBeCloseTo(-1 / (1 + Math.exp(margin)) / 3, 6);
    });
  });
});

describe('rewardScores', () => {
  it('reads the head at the last response token, whatever padding follows', () => {
    const model = LlamaModel.random(config, 2, 0.3);
    const head = RewardHead.create(config.hiddenSize, new Rng(5), 0.5);
    const short = { ids: [1, 3, 5, 7, 9], lossMask: [0, 0, 1, 1, 1] };
    const long = { ids: [1, 4, 6, 11, 13, 14, 15, 16], lossMask: [0, 0, 0, 1, 1, 1, 1, 1] };
    // A trailing prompt-only token (lossMask 0) is not read either.
    const trailing = { ids: [1, 3, 5, 7, 9, 12], lossMask: [0, 0, 1, 1, 1, 0] };
    const [alone] = scoresOf(model, head, [short]);
    const [padded, , withTrailing] = scoresOf(model, head, [short, long, trailing]);
    expect(padded).toBeCloseTo(alone!, 5);
    expect(withTrailing).toBeCloseTo(alone!, 5);
    // head . hidden state at position 4 of the sequence alone, by hand.
    const hidden = tf.tidy(() => model.hiddenStates([short.ids]).arraySync());
    const w = head.toHost().data;
    const expected = hidden[4]!.reduce((a, h, i) => a + h * w[i]!, 0);
    expect(alone).toBeCloseTo(expected, 5);
    expect(() => makeRewardBatch([{ ids: [1, 2], lossMask: [0, 0] }])).toThrow(/no response token/);
    head.dispose();
    model.dispose();
  });
});

describe('computeRewardGradients', () => {
  it('reaches the head (as finite differences say) and LoRA B, which starts at zero', () => {
    const model = LlamaModel.random(config, 3, 0.3);
    const trainer = new Trainer(model, { mode: 'lora', lora: LORA, learningRate: 1e-2, totalSteps: 1 });
    const head = RewardHead.create(config.hiddenSize, new Rng(7), 0.5);
    const pairs = toyPairs().slice(0, 3);
    const { grads, loss } = computeRewardGradients(model, head, pairs, 0, new Rng(1));
    const norm = (key: string) => Math.sqrt(tf.tidy(() => tf.sum(tf.square(grads.get(key)!)).dataSync()[0]!));
    expect(norm(REWARD_HEAD_TENSOR)).toBeGreaterThan(1e-3);
    expect(norm(peftKey(1, 'down_proj', 'B'))).toBeGreaterThan(1e-6);
    expect(norm(peftKey(0, 'q_proj', 'B'))).toBeGreaterThan(1e-6);

    const lossAt = (w: Float32Array) => {
      const probe = RewardHead.fromHost({ shape: [1, config.hiddenSize], data: w }, 'probe');
      const value = tf.tidy(() => {
        const batch = makeRewardBatch([...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)]);
        const s = [...rewardScores(model, probe, batch).dataSync()];
        return s.slice(0, 3).reduce((a, c, i) => a + softplus(-(c - s[3 + i]!)), 0) / 3;
      });
      probe.dispose();
      return value;
    };
    const w = head.toHost().data;
    expect(lossAt(w)).toBeCloseTo(loss, 5);
    const analytic = grads.get(REWARD_HEAD_TENSOR)!.dataSync();
    const h = 1e-2;
    for (const i of [0, 5, 11]) {
      const up = Float32Array.from(w);
      const down = Float32Array.from(w);
      up[i]! += h;
      down[i]! -= h;
      expect(analytic[i]).toBeCloseTo((lossAt(up) - lossAt(down)) / (2 * h), 3);
    }
    for (const g of grads.values()) g.dispose();
    head.dispose();
    trainer.dispose();
    model.dispose();
  });
});

describe('Trainer.trainRewardStep', () => {
  const options: TrainerOptions = {
    mode: 'lora',
    lora: LORA,
    learningRate: 2e-2,
    totalSteps: 30,
    gradientAccumulation: 2,
    seed: 3,
  };
  const newTrainer = (headSeed: number) => {
    const head = RewardHead.create(config.hiddenSize, new Rng(headSeed));
    return { head, trainer: new Trainer(LlamaModel.random(config, 1, 0.3), options, { rewardHead: head }) };
  };

  it('learns which answers carry the preferred token: training accuracy from chance to all pairs', () => {
    const pairs = toyPairs();
    const { head, trainer } = newTrainer(9);
    expect(() => new Trainer(LlamaModel.random(config, 1, 0.3), options).trainRewardStep(pairs)).toThrow(
      /reward head/,
    );
    const before = accuracyOf(trainer.model, head, pairs);
    const first = trainer.trainRewardStep(pairs);
    // Heads start at normal(0, 0.02): every score is near zero, so the loss is near log 2.
    expect(first.loss).toBeCloseTo(Math.log(2), 2);
    let last = first;
    for (let i = 1; i < 30; i++) last = trainer.trainRewardStep(pairs);
    const after = accuracyOf(trainer.model, head, pairs);
    console.info(
      `reward model toy: accuracy ${before} -> ${after}, loss ${first.loss.toFixed(4)} -> ${last.loss.toFixed(4)}, margin ${last.rewardMargin?.toFixed(3)}`,
    );
    expect(after).toBe(1);
    expect(last.rewardAccuracy).toBe(1);
    expect(last.loss).toBeLessThan(0.2);
    expect(last.rewardMargin).toBeGreaterThan(1);
    trainer.dispose();
    trainer.model.dispose();
    head.dispose();
  });

  it('checkpoints the head with the adapter: a resumed trainer takes the same steps', () => {
    const pairs = toyPairs();
    const straight = newTrainer(9);
    for (let i = 0; i < 6; i++) straight.trainer.trainRewardStep(pairs);
    const first = newTrainer(9);
    for (let i = 0; i < 4; i++) first.trainer.trainRewardStep(pairs);
    first.trainer.saveState(join(dir, 'ckpt'));
    // Another head seed: only the checkpoint can bring the trained head back.
    const resumed = newTrainer(123);
    resumed.trainer.loadState(join(dir, 'ckpt'));
    for (let i = 0; i < 2; i++) resumed.trainer.trainRewardStep(pairs);
    const want = straight.head.toHost().data;
    const got = resumed.head.toHost().data;
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    expect(accuracyOf(resumed.trainer.model, resumed.head, pairs)).toBe(
      accuracyOf(straight.trainer.model, straight.head, pairs),
    );
    for (const t of [straight, first, resumed]) {
      t.trainer.dispose();
      t.trainer.model.dispose();
      t.head.dispose();
    }
  });
});

describe('saveRewardModel / loadRewardModel / scoreResponses', () => {
  const tokenizer = new ByteTokenizer();
  const tinyBytes = makeLlamaConfig({
    vocabSize: tokenizer.vocabSize,
    hiddenSize: 16,
    intermediateSize: 24,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    maxPositionEmbeddings: 256,
  });
  const format = promptFormatByName('alpaca');
  const prompt = { instruction: 'Capital of France?' };
  const answers = ['Paris.', 'Lima.', 'It is Paris, on the Seine.'];

  it('round-trips a LoRA reward model: identical scores', () => {
    const baseDir = join(dir, 'base');
    const model = LlamaModel.random(tinyBytes, 4, 0.3);
    saveModel(model, baseDir);
    const trainer = new Trainer(model, { mode: 'lora', lora: LORA, learningRate: 1e-2, totalSteps: 1 });
    model.lora!.randomizeB(8, 0.3);
    const head = RewardHead.create(tinyBytes.hiddenSize, new Rng(2), 0.5);
    const scores = scoreResponses(model, head, tokenizer, format, prompt, answers);
    expect(new Set(scores).size).toBe(3);
    saveRewardModel(join(dir, 'rm-lora'), model, head, 'alpaca');
    const config = JSON.parse(readFileSync(join(dir, 'rm-lora', REWARD_CONFIG_FILE), 'utf8'));
    expect(config).toMatchObject({ hidden_size: 16, backbone: 'lora-adapter', prompt_format: 'alpaca' });
    expect(() => loadRewardModel(join(dir, 'rm-lora'))).toThrow(/base model directory/);
    const loaded = loadRewardModel(join(dir, 'rm-lora'), baseDir);
    expect(scoreResponses(loaded.model, loaded.head, tokenizer, format, prompt, answers)).toEqual(scores);
    // Batched or not, the same scores.
    const oneByOne = scoreResponses(loaded.model, loaded.head, tokenizer, format, prompt, answers, {
      batchSize: 1,
    });
    oneByOne.forEach((s, i) => expect(s).toBeCloseTo(scores[i]!, 5));
    for (const m of [model, loaded.model]) m.dispose();
    for (const h of [head, loaded.head]) h.dispose();
    trainer.dispose();
  });

  it('round-trips a full-weights reward model without the base', () => {
    const model = LlamaModel.random(tinyBytes, 6, 0.3);
    const head = RewardHead.create(tinyBytes.hiddenSize, new Rng(3), 0.5);
    const scores = scoreResponses(model, head, tokenizer, format, prompt, answers);
    saveRewardModel(join(dir, 'rm-full'), model, head);
    const loaded = loadRewardModel(join(dir, 'rm-full'));
    expect(loaded.config.backbone).toBe('full-weights');
    expect(scoreResponses(loaded.model, loaded.head, tokenizer, format, prompt, answers)).toEqual(scores);
    expect(() => RewardHead.load(dir)).toThrow(/reward_config.json is missing/);
    for (const m of [model, loaded.model]) m.dispose();
    for (const h of [head, loaded.head]) h.dispose();
  });
});
