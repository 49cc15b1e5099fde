/**
 * The generation pool with continuous batching, against a real thread and a real model: requests in flight
 * together are decoded as one batch, and each gets what it would get alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, LlamaModel, saveModel } from '../../src/ml/index.js';
import { ByteTokenizer } from '../../src/ml/tokenizers/index.js';
import { GenerationPool, QueueFullError, type GenerationResult } from '../../src/serving/generationPool.js';
import type { GenerationInput } from '../../src/serving/generationProtocol.js';
import { compileGenerationThread, tinyConfig } from './support.js';

const KEY = 'random@1';
let dir: string;
let alone: GenerationPool;
let batched: GenerationPool;

beforeAll(async () => {
  const threadEntry = compileGenerationThread();
  dir = mkdtempSync(join(tmpdir(), 'tuneledger-pool-'));
  await initBackend();
  // Weights large enough that the answer depends on the prompt (a near-zero model repeats its last token).
  const model = LlamaModel.random(tinyConfig, 7, 0.3);
  saveModel(model, dir);
  model.dispose();
  await new ByteTokenizer({ vocabSize: tinyConfig.vocabSize }).save(dir);
  [alone, batched] = await Promise.all([
    GenerationPool.start({ threads: 1, maxBatch: 1, maxQueue: 64, threadEntry }),
    GenerationPool.start({ threads: 1, maxBatch: 8, maxQueue: 64, threadEntry }),
  ]);
  await Promise.all([alone, batched].map((pool) => pool.load({ key: KEY, baseDir: dir })));
}, 120_000);

afterAll(async () => {
  await Promise.all([alone?.close(), batched?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const texts = [
  'Hi',
  'What is the capital of France?',
  'abc',
  'A somewhat longer prompt, of several words, to run.',
];
const input = (text: string, extra: Partial<GenerationInput> = {}): GenerationInput => ({
  key: KEY,
  prompt: { kind: 'text', text },
  maxTokens: 24,
  stream: false,
  ...extra,
});

/** Every input at once through `pool`. */
function together(pool: GenerationPool, inputs: GenerationInput[]): Promise<GenerationResult[]> {
  return Promise.all(inputs.map((i) => pool.generate(i).result));
}

describe('the generation pool with continuous batching', () => {
  it('answers concurrent greedy requests of different lengths exactly as it answers them one at a time', async () => {
    const inputs = texts.map((text, i) => input(text, { maxTokens: 12 + 6 * i }));
    const one = await together(alone, inputs);
    const many = await together(batched, inputs);
    expect(many.map((r) => r.text)).toEqual(one.map((r) => r.text));
    expect(many.map((r) => r.completionTokens)).toEqual(one.map((r) => r.completionTokens));
    expect(new Set(one.map((r) => r.text)).size).toBe(texts.length);
    expect(Math.max(...one.map((r) => r.meanBatchSize))).toBe(1);
    expect(Math.max(...many.map((r) => r.meanBatchSize))).toBeGreaterThan(1);
  });

  it('samples each request from its own seed, whatever else runs beside it', async () => {
    const sampled = texts.map((text, i) => input(text, { temperature: 1, seed: 40 + i }));
    const one = await together(alone, sampled);
    const many = await together(batched, sampled);
    const again = await together(batched, [...sampled].reverse());
    expect(many.map((r) => r.text)).toEqual(one.map((r) => r.text));
    expect([...again].reverse().map((r) => r.text)).toEqual(one.map((r) => r.text));
  });

  it('streams each request its own deltas, in order, while others stream beside it', async () => {
    const streamed = texts.map(() => [] as string[]);
    const results = await Promise.all(
      texts.map(
        (text, i) =>
          batched.generate(input(text, { stream: true }), (delta) => streamed[i]!.push(delta)).result,
      ),
    );
    results.forEach((result, i) => {
      expect(streamed[i]!.length).toBeGreaterThan(1);
      expect(streamed[i]!.join('')).toBe(result.text);
    });
    const plain = await together(
      batched,
      texts.map((text) => input(text)),
    );
    expect(results.map((r) => r.text)).toEqual(plain.map((r) => r.text));
  });

  it('cancels one request mid-stream and leaves the others in the batch as they were', async () => {
    const long = texts.map((text) => input(text, { maxTokens: 120, stream: true }));
    const expected = await together(
      alone,
      long.map((i) => ({ ...i, stream: false })),
    );
    let cancel = () => {};
    const handles = long.map((i, n) => batched.generate(i, n === 1 ? () => cancel() : undefined));
    cancel = handles[1]!.cancel;
    const results = await Promise.all(handles.map((h) => h.result));
    expect(results[1]!.finishReason).toBe('cancelled');
    expect(results[1]!.completionTokens).toBeLessThan(120);
    for (const n of [0, 2, 3]) expect(results[n]!.text).toBe(expected[n]!.text);
    expect(batched.generating()).toBe(0);
  });

  it('queues what does not fit the batch, and refuses one more than the queue holds (QueueFullError)', async () => {
    const small = await GenerationPool.start({
      threads: 1,
      maxBatch: 2,
      maxQueue: 1,
      threadEntry: compileGenerationThread(),
    });
    try {
      await small.load({ key: KEY, baseDir: dir });
      const accepted = [0, 1, 2].map((i) => small.generate(input(texts[i]!, { maxTokens: 40 })));
      expect(small.generating()).toBe(2);
      expect(small.queued()).toBe(1);
      expect(() => small.generate(input('one too many'))).toThrow(QueueFullError);
      const results = await Promise.all(accepted.map((h) => h.result));
      expect(results.every((r) => r.completionTokens > 0)).toBe(true);
      expect(results[2]!.queueMs).toBeGreaterThan(0);
    } finally {
      await small.close();
    }
  });
});
