import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  attentionWeights,
  generate,
  initBackend,
  KvCache,
  LlamaModel,
  makeLlamaConfig,
  pick,
  Rng,
} from '../../src/ml/index.js';

const config = makeLlamaConfig({
  vocabSize: 23,
  hiddenSize: 16,
  intermediateSize: 24,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  eosTokenId: 2,
});
let model: LlamaModel;

beforeAll(async () => {
  await initBackend();
  model = LlamaModel.random(config, 13, 0.5);
});

function argmax(row: number[]): number {
  return row.reduce((best, v, i) => (v > row[best]! ? i : best), 0);
}

describe('generation', () => {
  it('greedy with the KV cache equals recomputing the full sequence each step', () => {
    const prompt = [1, 7, 3];
    const result = generate(model, prompt, { maxTokens: 8, stopTokenIds: [] });
    expect(result.tokens).toHaveLength(8);
    const seq = [...prompt];
    for (let i = 0; i < 8; i++) {
      const logits = model.logits([seq])[0]!;
      seq.push(argmax(logits[logits.length - 1]!));
    }
    expect(result.tokens).toEqual(seq.slice(prompt.length));
  });

  it('cached logits equal full-sequence logits at every step', () => {
    const seq = [1, 5, 9, 11, 4, 20];
    const full = model.logits([seq])[0]!;
    const cacheLogits: number[][] = [];
    // Prompt of 3, then one token at a time through the cache.
    const kv = new KvCache(config.numLayers);
    cacheLogits.push(
      ...(tf.tidy(() => model.forward([seq.slice(0, 3)], { cache: kv }).logits.arraySync()) as number[][]),
    );
    for (let t = 3; t < seq.length; t++) {
      cacheLogits.push(
        ...(tf.tidy(() => model.forward([[seq[t]!]], { cache: kv }).logits.arraySync()) as number[][]),
      );
    }
    kv.dispose();
    const diff = Math.max(...full.flatMap((row, i) => row.map((v, j) => Math.abs(v - cacheLogits[i]![j]!))));
    expect(diff).toBeLessThan(1e-5);
  });

  it('seeded sampling is reproducible, top-k 1 is greedy, and the stream sees every token', () => {
    const a = generate(model, [1, 4], { maxTokens: 10, temperature: 1, seed: 42, stopTokenIds: [] });
    const b = generate(model, [1, 4], { maxTokens: 10, temperature: 1, seed: 42, stopTokenIds: [] });
    expect(a.tokens).toEqual(b.tokens);
    const streamed: number[] = [];
    const greedy = generate(model, [1, 4], { maxTokens: 6, stopTokenIds: [] });
    const top1 = generate(model, [1, 4], {
      maxTokens: 6,
      temperature: 0.7,
      topK: 1,
      seed: 3,
      stopTokenIds: [],
      onToken: (t) => void streamed.push(t.id),
    });
    expect(top1.tokens).toEqual(greedy.tokens);
    expect(streamed).toEqual(top1.tokens);
  });

  it('stops at a stop token, a stop string, max tokens, or when the callback says so', () => {
    const free = generate(model, [1], { maxTokens: 12, stopTokenIds: [] });
    const stopId = free.tokens[4]!;
    const stopped = generate(model, [1], { maxTokens: 12, stopTokenIds: [stopId] });
    expect(stopped.finishReason).toBe('stop_token');
    expect(stopped.tokens).toEqual(free.tokens.slice(0, free.tokens.indexOf(stopId)));
    const decode = (ids: readonly number[]) => ids.map((i) => String.fromCharCode(97 + i)).join('');
    const text = decode(free.tokens);
    const byString = generate(model, [1], {
      maxTokens: 12,
      stopTokenIds: [],
      decode,
      stopSequences: [text.slice(3, 5)],
    });
    expect(byString.finishReason).toBe('stop_sequence');
    expect(byString.text).toBe(text.slice(0, text.indexOf(text.slice(3, 5))));
    const cb = generate(model, [1], { maxTokens: 12, stopTokenIds: [], onToken: () => false });
    expect(cb.tokens).toHaveLength(1);
    expect(cb.finishReason).toBe('callback');
    expect(free.finishReason).toBe('length');
  });

  it('reports entropy and probability of each token, checked by hand', () => {
    const logits = Float32Array.from([Math.log(0.5), Math.log(0.25), Math.log(0.25)]);
    const t = pick(logits, {}, new Rng(1));
    expect(t.id).toBe(0);
    expect(t.probability).toBeCloseTo(0.5, 6);
    expect(t.entropy).toBeCloseTo(-(0.5 * Math.log(0.5) + 2 * 0.25 * Math.log(0.25)), 6);
    // top-p 0.6 keeps tokens 0 and 1 (0.5 + 0.25 >= 0.6); token 2 is never drawn.
    const rng = new Rng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(pick(logits, { temperature: 1, topP: 0.6 }, rng).id);
    expect([...seen].sort()).toEqual([0, 1]);
  });

  it('returns causal attention weights per layer and head that sum to one', () => {
    const weights = attentionWeights(model, [1, 2, 3, 4]);
    expect(weights).toHaveLength(2);
    expect(weights[0]).toHaveLength(4);
    const head = weights[1]![3]!;
    for (let q = 0; q < 4; q++) {
      expect(head[q]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      for (let k = q + 1; k < 4; k++) expect(head[q]![k]).toBe(0);
    }
  });

  it('keeps the live tensor count flat across generations', () => {
    generate(model, [1, 2], { maxTokens: 3, stopTokenIds: [] });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++)
      generate(model, [1, 2], { maxTokens: 5, temperature: 0.8, seed: i, stopTokenIds: [] });
    expect(tf.memory().numTensors).toBe(before);
  });
});
