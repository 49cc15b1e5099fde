import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ContinuousBatcher,
  generate,
  initBackend,
  LlamaModel,
  makeLlamaConfig,
  type BatchedResult,
  type GenerateOptions,
} from '../../src/ml/index.js';

const config = makeLlamaConfig({
  vocabSize: 23,
  hiddenSize: 16,
  intermediateSize: 24,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  eosTokenId: 2,
  maxPositionEmbeddings: 64,
});
let model: LlamaModel;

beforeAll(async () => {
  await initBackend();
  model = LlamaModel.random(config, 13, 0.5);
});

const prompts = [
  [1, 7, 3],
  [1],
  [1, 5, 9, 11, 4, 6, 8],
  [1, 12, 13, 14, 15],
  [1, 20, 21, 22, 19, 18, 17, 16, 15, 14, 3],
];

/** Runs the batcher until idle, submitting `later` sequences when `at` steps have run (join mid-batch). */
function runAll(
  batcher: ContinuousBatcher,
  now: { prompt: number[]; options: GenerateOptions }[],
  later: { at: number; prompt: number[]; options: GenerateOptions }[] = [],
): BatchedResult[] {
  const results: BatchedResult[] = [];
  const submit = (prompt: number[], options: GenerateOptions, index: number) =>
    batcher.submit(
      prompt,
      options,
      (result) => (results[index] = result),
      (error) => {
        throw error;
      },
    );
  now.forEach(({ prompt, options }, i) => submit(prompt, options, i));
  let steps = 0;
  while (!batcher.idle || later.some((l) => l.at >= steps)) {
    later.forEach(({ at, prompt, options }, i) => {
      if (at === steps) submit(prompt, options, now.length + i);
    });
    batcher.step();
    steps++;
  }
  return results;
}

describe('continuous batching', () => {
  it('gives every sequence the greedy tokens it gets alone, prompts of different lengths joining at different steps', () => {
    const options = (maxTokens: number): GenerateOptions => ({ maxTokens, stopTokenIds: [] });
    const alone = prompts.map((prompt, i) => generate(model, prompt, options(6 + 3 * i)).tokens);
    const batcher = new ContinuousBatcher(model);
    const results = runAll(
      batcher,
      prompts.slice(0, 3).map((prompt, i) => ({ prompt, options: options(6 + 3 * i) })),
      [
        { at: 2, prompt: prompts[3]!, options: options(15) },
        { at: 5, prompt: prompts[4]!, options: options(18) },
      ],
    );
    expect(results.map((r) => r.tokens)).toEqual(alone);
    // The batch really ran sequences together: fewer steps than tokens produced.
    expect(batcher.rowsStepped / batcher.steps).toBeGreaterThan(2);
  });

  it('a steady stream of sequences takes the rows of those that left, with the greedy tokens they get alone', () => {
    // A sequence arrives at every step and each decodes 5 to 11 tokens, more than 6 rows can hold: rows leave
    // and join at almost every step, the new ones in the free rows, and the width runs past the cache's spare
    // room many times (the rows then move to the front in place).
    const stream = Array.from({ length: 40 }, (_, i) => ({
      at: i,
      prompt: prompts[i % prompts.length]!.map((id, t) => (t === 0 ? id : (id + i) % config.vocabSize)),
      options: { maxTokens: 5 + ((i * 7) % 7), stopTokenIds: [] } satisfies GenerateOptions,
    }));
    const alone = stream.map(({ prompt, options }) => generate(model, prompt, options).tokens);
    const batcher = new ContinuousBatcher(model, { maxBatch: 6 });
    const results = runAll(batcher, [], stream);
    expect(results.map((r) => r.tokens)).toEqual(alone);
    expect(batcher.joinedFreeRows).toBeGreaterThan(stream.length / 2);
    expect(batcher.rowsStepped / batcher.steps).toBeGreaterThan(2);
  });

  it('samples per sequence from its own seed: the same tokens alone, in any batch, in any order', () => {
    const sampled = (seed: number): GenerateOptions => ({
      maxTokens: 12,
      temperature: 1,
      seed,
      stopTokenIds: [],
    });
    const alone = prompts.map((prompt, i) => generate(model, prompt, sampled(100 + i)).tokens);
    const forward = runAll(
      new ContinuousBatcher(model),
      prompts.map((prompt, i) => ({ prompt, options: sampled(100 + i) })),
    );
    const reversed = runAll(
      new ContinuousBatcher(model),
      [...prompts].reverse().map((prompt, j) => ({ prompt, options: sampled(100 + prompts.length - 1 - j) })),
    );
    expect(forward.map((r) => r.tokens)).toEqual(alone);
    expect([...reversed].reverse().map((r) => r.tokens)).toEqual(alone);
    expect(new Set(alone.map((t) => t.join(','))).size).toBeGreaterThan(1);
  });

  it('stops a sequence at its stop token or stop string and keeps decoding the others', () => {
    const decode = (ids: readonly number[]) => ids.map((id) => String.fromCharCode(97 + id)).join('');
    const free = generate(model, prompts[0]!, { maxTokens: 10, stopTokenIds: [] });
    const stopToken = free.tokens[3]!;
    const stopString = decode(free.tokens.slice(2, 4));
    const settings: GenerateOptions[] = [
      { maxTokens: 10, stopTokenIds: [stopToken] },
      { maxTokens: 10, stopTokenIds: [], stopSequences: [stopString], decode },
      { maxTokens: 10, stopTokenIds: [] },
    ];
    const alone = settings.map((options) => generate(model, prompts[0]!, options));
    const batched = runAll(
      new ContinuousBatcher(model),
      settings.map((options) => ({ prompt: prompts[0]!, options })),
    );
    expect(batched.map((r) => [r.tokens, r.finishReason, r.text])).toEqual(
      alone.map((r) => [r.tokens, r.finishReason, r.text]),
    );
    expect(batched.map((r) => r.finishReason)).toEqual(['stop_token', 'stop_sequence', 'length']);
  });

  it('cancelling one sequence leaves the others as they were', () => {
    const options: GenerateOptions = { maxTokens: 12, stopTokenIds: [] };
    const alone = prompts.map((prompt) => generate(model, prompt, options).tokens);
    const batcher = new ContinuousBatcher(model);
    const results: BatchedResult[] = [];
    const handles = prompts.map((prompt, i) =>
      batcher.submit(
        prompt,
        options,
        (r) => (results[i] = r),
        (e) => {
          throw e;
        },
      ),
    );
    for (let i = 0; i < 4; i++) batcher.step();
    handles[2]!.cancel();
    while (!batcher.idle) batcher.step();
    expect(results[2]!.cancelled).toBe(true);
    expect(results[2]!.tokens.length).toBeLessThan(12);
    expect(results[2]!.tokens).toEqual(alone[2]!.slice(0, results[2]!.tokens.length));
    for (const i of [0, 1, 3, 4]) {
      expect(results[i]!.cancelled).toBe(false);
      expect(results[i]!.tokens).toEqual(alone[i]);
    }
  });

  it('admits waiting sequences up to the batch size and the token budget', () => {
    const options: GenerateOptions = { maxTokens: 4, stopTokenIds: [] };
    const batcher = new ContinuousBatcher(model, { maxBatch: 2, tokenBudget: 12 });
    for (const prompt of prompts)
      batcher.submit(
        prompt,
        options,
        () => {},
        () => {},
      );
    batcher.step();
    // [1,7,3] and [1] fit two rows; the rest wait.
    expect([batcher.active, batcher.waiting]).toEqual([2, 3]);
    const tight = new ContinuousBatcher(model, { tokenBudget: 9 });
    for (const prompt of prompts)
      tight.submit(
        prompt,
        options,
        () => {},
        () => {},
      );
    tight.step();
    // 3 + 1 tokens, then the 7-token prompt exceeds the 9 - 2 left.
    expect([tight.active, tight.waiting]).toEqual([2, 3]);
    while (!tight.idle) tight.step();
    expect(tight.active).toBe(0);
  });

  it('a sequence that cannot run is refused at submit and the batch runs on', () => {
    const batcher = new ContinuousBatcher(model);
    expect(() =>
      batcher.submit(
        [],
        { maxTokens: 3 },
        () => {},
        () => {},
      ),
    ).toThrow(/at least one token/);
    const results = runAll(batcher, [{ prompt: [1, 4], options: { maxTokens: 3, stopTokenIds: [] } }]);
    expect(results[0]!.tokens).toHaveLength(3);
  });

  it('frees every tensor once the batch is empty (rows joining, leaving and cancelled)', () => {
    const batcher = new ContinuousBatcher(model);
    runAll(batcher, [{ prompt: [1, 2, 3], options: { maxTokens: 2, stopTokenIds: [] } }]);
    const before = tf.memory().numTensors;
    const handles = prompts.map((prompt, i) =>
      batcher.submit(
        prompt,
        { maxTokens: 3 + i, stopTokenIds: [] },
        () => {},
        () => {},
      ),
    );
    batcher.step();
    handles[1]!.cancel();
    while (!batcher.idle) batcher.step();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reuses the keys and values of the prefix a prompt shares with the last one, with the same answers', () => {
    const preamble = [1, 9, 8, 7, 6, 5, 4, 3, 11, 12, 13];
    const shared = [
      [...preamble, 14, 15],
      [...preamble, 16],
      [...preamble],
      [...preamble, 14, 15, 17, 18],
      [1, 9],
    ];
    const options: GenerateOptions = { maxTokens: 8, stopTokenIds: [] };
    const alone = shared.map((prompt) => generate(model, prompt, options).tokens);
    const batcher = new ContinuousBatcher(model);
    const results = runAll(
      batcher,
      shared.map((prompt) => ({ prompt, options })),
    );
    expect(results.map((r) => r.tokens)).toEqual(alone);
    // Nothing before the first; then 11 shared, 10 (one short of the whole prompt), 11, and 1 (one short).
    expect(batcher.reusedPromptTokens).toBe(0 + 11 + 10 + 11 + 1);
    expect(batcher.promptTokens).toBe(shared.reduce((sum, p) => sum + p.length, 0));
  });

  it('prefills the prompts admitted at one step together, one pass per length, with the answers they get alone', () => {
    const preamble = [1, 9, 8, 7, 6, 5, 4, 3, 11, 12, 13];
    const first = [...preamble, 14];
    const together = [
      [...preamble, 15, 16],
      [...preamble, 19],
      [...preamble, 17, 18],
      [1, 4, 4],
      [...preamble, 20, 21],
      [...preamble, 16],
    ];
    // The fifth stops at its first token (drawn from its prefill's logits): it never joins the batch cache.
    const settings = (seed: number, temperature: number): GenerateOptions[] => {
      const draw = (i: number) => ({ maxTokens: 7 + i, temperature, seed: seed + i });
      const stopAtOnce = generate(model, together[4]!, { ...draw(4), maxTokens: 1, stopTokenIds: [] })
        .tokens[0]!;
      return together.map((_, i) => ({ ...draw(i), stopTokenIds: i === 4 ? [stopAtOnce] : [] }));
    };
    for (const [seed, temperature] of [
      [0, 0],
      [300, 1],
    ] as const) {
      const firstOptions: GenerateOptions = { maxTokens: 8, temperature, seed: seed + 99, stopTokenIds: [] };
      const alone = [first, ...together].map(
        (prompt, i) =>
          generate(model, prompt, i === 0 ? firstOptions : settings(seed, temperature)[i - 1]!).tokens,
      );
      const batcher = new ContinuousBatcher(model);
      const results = runAll(
        batcher,
        [{ prompt: first, options: firstOptions }],
        together.map((prompt, i) => ({ at: 1, prompt, options: settings(seed, temperature)[i]! })),
      );
      expect(results.map((r) => r.tokens)).toEqual(alone);
      expect(results[5]!.finishReason).toBe('stop_token');
      expect(results[5]!.tokens).toEqual([]);
      // The first prompt alone, then lengths 13, 12 and 3 in one pass each.
      expect(batcher.prefillPasses).toBe(4);
      // Length 13: 11 shared with the first prompt, three rows; length 12: 11 shared with the last of those,
      // two rows; [1, 4, 4]: 1 shared with the last of those.
      expect(batcher.reusedPromptTokens).toBe(3 * 11 + 2 * 11 + 1);
    }
  });
});
