/**
 * Reward model: the rules around the maths (what is refused and why, what a saved directory holds, how
 * exchanges that cannot be scored come back, the default scored length, dropout in the training pass).
 * Written from the survivors of a mutation run over src/ml/rewardModel.ts (docs/mutation.md).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  computeRewardGradients,
  decodeSafetensors,
  initBackend,
  LlamaModel,
  loadRewardModel,
  makeLlamaConfig,
  makeRewardBatch,
  PromptFillsContextError,
  REWARD_CONFIG_FILE,
  REWARD_HEAD_FILE,
  REWARD_HEAD_TENSOR,
  RewardHead,
  rewardLoss,
  rewardScores,
  Rng,
  saveModel,
  saveRewardModel,
  scoreExchanges,
  scoreResponses,
  Trainer,
  type PreferencePair,
} from '../../src/ml/index.js';
import { promptFormatByName } from '../../src/ml/prompts/index.js';
import { ByteTokenizer } from '../../src/ml/tokenizers/index.js';
import { microConfig } from './microConfig.js';

let dir: string;
beforeAll(async () => {
  await initBackend();
  dir = mkdtempSync(join(tmpdir(), 'tl-reward-rules-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tokenizer = new ByteTokenizer();
const bytesShape = {
  vocabSize: tokenizer.vocabSize,
  hiddenSize: 16,
  intermediateSize: 24,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  maxPositionEmbeddings: 256,
};
const bytesConfig = makeLlamaConfig(bytesShape);
const format = promptFormatByName('alpaca');

describe('RewardHead', () => {
  it('draws hiddenSize weights, no more, from the rng: a second head continues the same stream', () => {
    const rng = new Rng(5);
    const first = RewardHead.create(3, rng, 0.5);
    const second = RewardHead.create(1, rng, 0.5);
    const reference = new Rng(5);
    const expected = Array.from({ length: 4 }, () => reference.normal() * 0.5);
    expect([...first.toHost().data, ...second.toHost().data]).toEqual(
      expected.map((value) => Math.fround(value)),
    );
    expect(first.toHost().shape).toEqual([1, 3]);
    expect(second.hiddenSize).toBe(1);
    first.dispose();
    second.dispose();
  });

  it('refuses a hidden size that is not a positive integer', () => {
    for (const size of [0, -2, 1.5, Number.NaN])
      expect(() => RewardHead.create(size, new Rng(1)), String(size)).toThrow(
        `a reward head needs a positive hidden size, got ${size}`,
      );
  });

  it('is read only from a [1, hidden] tensor whose data fills it, naming where it came from', () => {
    const bad = [
      { shape: [4], data: new Float32Array(4) },
      { shape: [2, 2], data: new Float32Array(4) },
      { shape: [1, 4], data: new Float32Array(3) },
      { shape: [1, 2, 2], data: new Float32Array(4) },
      { shape: [1, 4, 1], data: new Float32Array(4) },
      { shape: [2, 4], data: new Float32Array(4) },
    ];
    for (const tensor of bad)
      expect(() => RewardHead.fromHost(tensor, 'the file'), String(tensor.shape)).toThrow(
        `the file: "score.weight" must have shape [1, hidden], got [${tensor.shape}]`,
      );
    const head = RewardHead.fromHost({ shape: [1, 2], data: Float32Array.from([0.25, -1]) }, 'ok');
    expect(head.toHost()).toEqual({ shape: [1, 2], data: Float32Array.from([0.25, -1]) });
    head.dispose();
    expect(head.variable.isDisposed).toBe(true);
  });

  it('saves a safetensors file transformers reads (metadata format pt) and a config naming it', () => {
    const head = RewardHead.create(4, new Rng(2));
    const target = join(dir, 'head-only');
    head.save(target, 'full-weights');
    const contents = decodeSafetensors(readFileSync(join(target, REWARD_HEAD_FILE)));
    expect(contents.metadata).toEqual({ format: 'pt' });
    expect(contents.tensors.get(REWARD_HEAD_TENSOR)?.shape).toEqual([1, 4]);
    expect(JSON.parse(readFileSync(join(target, REWARD_CONFIG_FILE), 'utf8'))).toEqual({
      format: 'tuneledger-reward-model/1',
      hidden_size: 4,
      head_file: REWARD_HEAD_FILE,
      head_tensor: REWARD_HEAD_TENSOR,
      read_position: 'last-response-token',
      backbone: 'full-weights',
    });
    head.dispose();
  });

  it('refuses a directory whose config or head file is wrong, saying what is wrong', () => {
    const head = RewardHead.create(4, new Rng(2));
    const base = join(dir, 'broken');
    const configPath = join(base, REWARD_CONFIG_FILE);
    const rewrite = (change: Record<string, unknown>) => {
      head.save(base, 'full-weights');
      const config = JSON.parse(readFileSync(configPath, 'utf8'));
      writeFileSync(configPath, JSON.stringify({ ...config, ...change }));
    };
    rewrite({ hidden_size: -1 });
    expect(() => RewardHead.load(base)).toThrow(`${configPath}: hidden_size: `);
    rewrite({ hidden_size: 0, backbone: 'adapter' });
    expect(() => RewardHead.load(base)).toThrow(/reward_config\.json: hidden_size: [^;]+; backbone: [^;]+$/);
    rewrite({ head_file: 'elsewhere.safetensors' });
    expect(() => RewardHead.load(base)).toThrow(
      `${configPath} names elsewhere.safetensors, which is missing`,
    );
    rewrite({ head_tensor: 'v_head.weight' });
    expect(() => RewardHead.load(base)).toThrow(`tensor "v_head.weight" is missing`);
    rewrite({ hidden_size: 8 });
    expect(() => RewardHead.load(base)).toThrow(
      `"score.weight" has shape [1,4], but reward_config.json says hidden_size 8`,
    );
    rewrite({});
    const loaded = RewardHead.load(base);
    expect(loaded.head.toHost()).toEqual(head.toHost());
    loaded.head.dispose();
    head.dispose();
  });
});

describe('makeRewardBatch', () => {
  it('pads to the longest, reads each at its last response token, and counts batch x width tokens', () => {
    const batch = makeRewardBatch(
      [
        { ids: [5, 6, 7], lossMask: [1, 0, 0] },
        { ids: [5, 6, 7, 8, 9], lossMask: [0, 0, 1, 1, 0] },
      ],
      3,
    );
    expect(batch.inputs).toEqual([
      [5, 6, 7, 3, 3],
      [5, 6, 7, 8, 9],
    ]);
    expect([...batch.readAt]).toEqual([0, 5 + 3]);
    expect(batch.tokens).toBe(10);
  });

  it('refuses an empty batch, a mask of another length and a sequence with no response token', () => {
    expect(() => makeRewardBatch([])).toThrow('a reward batch needs at least one sequence');
    expect(() =>
      makeRewardBatch([
        { ids: [1, 2], lossMask: [0, 1] },
        { ids: [1, 2, 3], lossMask: [0, 1] },
      ]),
    ).toThrow('sequence 1: lossMask must have one entry per token (3)');
    expect(() => makeRewardBatch([{ ids: [1, 2], lossMask: [0, 0] }])).toThrow(
      'sequence 0 has no response token to read a reward at',
    );
  });
});

describe('scores and gradients', () => {
  it('refuses a head of another width than the model', () => {
    const model = LlamaModel.random(microConfig, 1);
    const head = RewardHead.create(microConfig.hiddenSize + 1, new Rng(1));
    expect(() => rewardScores(model, head, makeRewardBatch([{ ids: [1, 2], lossMask: [0, 1] }]))).toThrow(
      `the reward head reads ${microConfig.hiddenSize + 1} hidden units, the model has ${microConfig.hiddenSize}`,
    );
    expect(() => computeRewardGradients(model, head, [], 0, new Rng(1))).toThrow(
      'a reward step needs at least one preference pair',
    );
    model.dispose();
    head.dispose();
  });

  it('takes its loss in training mode: LoRA dropout changes it, and the same rng gives the same loss', () => {
    const pairs: PreferencePair[] = [
      {
        chosen: { ids: [1, 4, 5, 6], lossMask: [0, 1, 1, 1] },
        rejected: { ids: [1, 4, 7], lossMask: [0, 1, 1] },
      },
      {
        chosen: { ids: [1, 8, 9], lossMask: [0, 1, 1] },
        rejected: { ids: [1, 8, 3, 3], lossMask: [0, 1, 1, 1] },
      },
    ];
    const lossWith = (dropout: number, seed: number) => {
      const model = LlamaModel.random(microConfig, 3, 0.3);
      const trainer = new Trainer(model, {
        mode: 'lora',
        lora: { r: 4, alpha: 8, dropout, targetModules: ['q_proj', 'v_proj'] },
        learningRate: 1e-2,
        totalSteps: 1,
      });
      model.lora!.randomizeB(9, 0.5);
      const head = RewardHead.create(microConfig.hiddenSize, new Rng(4), 0.5);
      const result = computeRewardGradients(model, head, pairs, 0, new Rng(seed));
      const inference = tf.tidy(() => {
        const scores = rewardScores(
          model,
          head,
          makeRewardBatch([...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)]),
        );
        return rewardLoss(tf.slice(scores, 0, 2), tf.slice(scores, 2, 2)).loss.dataSync()[0]!;
      });
      for (const grad of result.grads.values()) grad.dispose();
      head.dispose();
      trainer.dispose();
      model.dispose();
      return { training: result.loss, inference };
    };
    const noDropout = lossWith(0, 1);
    expect(noDropout.training).toBeCloseTo(noDropout.inference, 5);
    const dropped = lossWith(0.5, 1);
    expect(Math.abs(dropped.training - dropped.inference)).toBeGreaterThan(1e-4);
    expect(lossWith(0.5, 1).training).toBe(dropped.training);
  });
});

describe('scoreResponses and scoreExchanges', () => {
  let model: LlamaModel;
  let head: RewardHead;
  beforeAll(() => {
    model = LlamaModel.random(bytesConfig, 7, 0.3);
    head = RewardHead.create(bytesConfig.hiddenSize, new Rng(6), 0.5);
  });
  afterAll(() => {
    model.dispose();
    head.dispose();
  });

  it('refuses, by its own error, a prompt that leaves no response token within the scored length', () => {
    const call = () =>
      scoreResponses(model, head, tokenizer, format, { instruction: 'x'.repeat(80) }, ['a', 'b'], {
        maxLength: 40,
      });
    expect(call).toThrow(PromptFillsContextError);
    expect(call).toThrow(
      'response 0 has no token left within 40 tokens (the prompt fills them); shorten the prompt or raise maxLength',
    );
    try {
      call();
    } catch (error) {
      expect((error as Error).name).toBe('PromptFillsContextError');
    }
  });

  it('scores at most the model context by default (min(512, context)), cutting long answers', () => {
    const prompt = { instruction: 'Say a lot.' };
    const long = 'word '.repeat(80);
    const byDefault = scoreResponses(model, head, tokenizer, format, prompt, [long, 'short']);
    const explicit = scoreResponses(model, head, tokenizer, format, prompt, [long, 'short'], {
      maxLength: bytesConfig.maxPositionEmbeddings,
    });
    expect(byDefault).toEqual(explicit);
  });

  it('answers null for an exchange that cannot be scored, and each other its own score, in order', () => {
    const fits = (instruction: string, response: string) => ({ prompt: { instruction }, response });
    const exchanges = [
      fits('Capital of France?', 'Paris.'),
      fits('y'.repeat(300), 'lost'),
      fits('Two plus two?', 'Four.'),
      fits('z'.repeat(300), 'lost too'),
      fits('Capital of Peru?', 'Lima.'),
    ];
    const scores = scoreExchanges(model, head, tokenizer, format, exchanges, { batchSize: 2 });
    expect(scores.map((score) => score === null)).toEqual([false, true, false, true, false]);
    for (const index of [0, 2, 4]) {
      const [alone] = scoreResponses(model, head, tokenizer, format, exchanges[index]!.prompt, [
        exchanges[index]!.response,
      ]);
      expect(scores[index]).toBeCloseTo(alone!, 5);
    }
    expect(scoreExchanges(model, head, tokenizer, format, [])).toEqual([]);
  });
});

describe('loadRewardModel', () => {
  it('refuses a head that does not fit its backbone, and an adapter that does not fit the base given', () => {
    const model = LlamaModel.random(bytesConfig, 8);
    const narrow = RewardHead.create(8, new Rng(1));
    const target = join(dir, 'mismatch');
    saveModel(model, target);
    narrow.save(target, 'full-weights');
    expect(() => loadRewardModel(target)).toThrow(
      `${target}: the reward head reads 8 hidden units, the model has 16`,
    );

    const loraDir = join(dir, 'lora-other-base');
    const trainer = new Trainer(model, {
      mode: 'lora',
      lora: { r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj'] },
      learningRate: 1e-2,
      totalSteps: 1,
    });
    const head = RewardHead.create(16, new Rng(1));
    saveRewardModel(loraDir, model, head);
    const otherBase = join(dir, 'other-base');
    // Same width, one layer more: the adapter has no weights for the third layer.
    const other = LlamaModel.random(makeLlamaConfig({ ...bytesShape, numLayers: 3 }), 9);
    saveModel(other, otherBase);
    expect(() => loadRewardModel(loraDir, otherBase)).toThrow(/tensor ".*layers\.2\..*" is missing/);
    for (const disposable of [other, model, narrow, head, trainer]) disposable.dispose();
  });
});
