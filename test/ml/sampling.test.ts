import { describe, expect, it } from 'vitest';
import { chooseToken, pick, Rng } from '../../src/ml/index.js';

// Choosing the next token from one position's logits, apart from any model: greedy, temperature, top-k and
// top-p, held against a reference written here from the definitions (softmax of logits / T; keep the k most
// likely; then the fewest most likely whose probabilities reach p, at least one; draw by the cumulative sum
// in that order with the generator's next number).
function softmax(logits: ArrayLike<number>, temperature: number): number[] {
  const max = Math.max(...Array.from(logits));
  const exps = Array.from(logits, (v) => Math.exp((v - max) / temperature));
  let sum = 0;
  for (const e of exps) sum += e;
  return exps.map((e) => e / sum);
}

function referencePick(
  logits: Float32Array,
  options: { temperature: number; topK?: number; topP?: number },
  u: number,
): number {
  const p = softmax(logits, options.temperature);
  let order = p.map((_, i) => i).sort((a, b) => p[b]! - p[a]!);
  if (options.topK !== undefined && options.topK > 0) order = order.slice(0, options.topK);
  if (options.topP !== undefined && options.topP < 1) {
    let keep = 1;
    let sum = p[order[0]!]!;
    while (keep < order.length && sum < options.topP) sum += p[order[keep++]!]!;
    order = order.slice(0, keep);
  }
  const total = order.reduce((s, i) => s + p[i]!, 0);
  let left = u * total;
  for (const i of order) {
    left -= p[i]!;
    if (left < 0) return i;
  }
  return order[order.length - 1]!;
}

/** The ids `pick` draws with `draws` numbers of a generator seeded `seed`, and the reference's for the same. */
function drawBoth(
  logits: Float32Array,
  options: { temperature: number; topK?: number; topP?: number },
  draws = 300,
  seed = 11,
) {
  const rng = new Rng(seed);
  const numbers = new Rng(seed);
  const picked: number[] = [];
  const expected: number[] = [];
  for (let i = 0; i < draws; i++) {
    picked.push(pick(logits, options, rng).id);
    expected.push(referencePick(logits, options, numbers.next()));
  }
  return { picked, expected };
}

const logits = Float32Array.from([0.3, 2.1, -1.2, 1.4, 0.9, -0.4, 1.9]);
// By probability: 1, 6, 3, 4, 0, 5, 2.

describe('pick', () => {
  it('is greedy at temperature 0, below it, or without one: the largest logit, the first of equals', () => {
    const rng = new Rng(3);
    for (const temperature of [undefined, 0, -1]) {
      expect(pick(logits, temperature === undefined ? {} : { temperature }, rng).id).toBe(1);
    }
    expect(pick(Float32Array.from([5, 1, 5, 2]), {}, rng).id).toBe(0);
    expect(pick(Float32Array.from([1, 2, 7, 7]), {}, rng).id).toBe(2);
    expect(pick(Float32Array.from([9, 1, 2]), {}, rng).id).toBe(0);
    expect(pick(Float32Array.from([-3, -1, -2]), { temperature: 0 }, rng).id).toBe(1);
  });

  it('gives the chosen token’s probability and the entropy of the distribution at temperature 1', () => {
    const p = softmax(logits, 1);
    const entropy = -p.reduce((s, q) => s + q * Math.log(q), 0);
    for (const options of [{}, { temperature: 0.3 }, { temperature: 2, topK: 2 }]) {
      const token = pick(logits, options, new Rng(5));
      expect(token.probability).toBeCloseTo(p[token.id]!, 12);
      expect(token.entropy).toBeCloseTo(entropy, 12);
    }
    // A token with probability 0 adds nothing to the entropy (0 * log 0 is taken as 0).
    const certain = pick(Float32Array.from([0, -Infinity, -Infinity]), {}, new Rng(1));
    expect(certain).toEqual({ id: 0, probability: 1, entropy: 0 });
  });

  it('draws by the cumulative probability at the temperature', () => {
    for (const temperature of [0.5, 1, 3]) {
      const { picked, expected } = drawBoth(logits, { temperature });
      expect(picked).toEqual(expected);
      expect(new Set(picked).size).toBeGreaterThan(3);
    }
    // A low temperature makes the most likely token more likely still.
    const cold = drawBoth(logits, { temperature: 0.2 }).picked.filter((id) => id === 1).length;
    const hot = drawBoth(logits, { temperature: 3 }).picked.filter((id) => id === 1).length;
    expect(cold).toBeGreaterThan(hot);
  });

  it('keeps only the k most likely tokens; k 0 keeps them all', () => {
    for (const topK of [1, 2, 3]) {
      const { picked, expected } = drawBoth(logits, { temperature: 1, topK });
      expect(picked).toEqual(expected);
      expect(new Set(picked)).toEqual(new Set([1, 6, 3].slice(0, topK)));
    }
    const all = drawBoth(logits, { temperature: 1, topK: 0 });
    expect(all.picked).toEqual(drawBoth(logits, { temperature: 1 }).picked);
    // Below 0 keeps them all too.
    expect(drawBoth(logits, { temperature: 1, topK: -2 }).picked).toEqual(all.picked);
  });

  it('keeps the fewest most likely tokens whose probabilities reach top-p, at least one', () => {
    const p = softmax(logits, 1);
    const [first, second, third] = [p[1]!, p[6]!, p[3]!];
    const cases: [number, number[]][] = [
      [0, [1]],
      [first / 2, [1]],
      [first + second / 2, [1, 6]],
      // Exactly the sum of the two most likely: those two, not a third.
      [0 + first + second, [1, 6]],
      [first + second + third / 2, [1, 6, 3]],
    ];
    for (const [topP, kept] of cases) {
      const { picked, expected } = drawBoth(logits, { temperature: 1, topP }, 400);
      expect(picked).toEqual(expected);
      expect(new Set(picked)).toEqual(new Set(kept));
    }
    // top-p 1 keeps every token.
    expect(new Set(drawBoth(logits, { temperature: 1, topP: 1 }, 2000).picked).size).toBe(7);
    // top-k first, then top-p within what it kept.
    const both = drawBoth(logits, { temperature: 1, topK: 3, topP: 0.99 }, 400);
    expect(both.picked).toEqual(both.expected);
    expect(new Set(both.picked)).toEqual(new Set([1, 6, 3]));
  });

  it('does not overflow on large logits: probabilities are taken relative to the largest', () => {
    const large = Float32Array.from([1000, 999, 998]);
    const token = pick(large, { temperature: 0.5 }, new Rng(2));
    expect(Number.isFinite(token.probability)).toBe(true);
    expect(token.entropy).toBeCloseTo(-softmax(large, 1).reduce((s, q) => s + q * Math.log(q), 0), 12);
    const { picked, expected } = drawBoth(large, { temperature: 2 });
    expect(picked).toEqual(expected);
  });

  it('draws among equal probabilities in id order over a large vocabulary; chooseToken draws what pick draws', () => {
    // 300 tokens on 7 levels: long runs of equal probabilities, cut by top-k and top-p inside a run.
    const levels = new Rng(8);
    const tied = Float32Array.from({ length: 300 }, () => Math.floor(levels.next() * 7) / 2);
    for (const options of [
      { temperature: 1 },
      { temperature: 0.7, topK: 50 },
      { temperature: 1.3, topP: 0.4 },
      { temperature: 1, topK: 120, topP: 0.9 },
    ]) {
      const { picked, expected } = drawBoth(tied, options, 400);
      expect(picked).toEqual(expected);
      const rng = new Rng(11);
      expect(picked.map(() => chooseToken(tied, options, rng))).toEqual(picked);
    }
    expect(chooseToken(tied, {}, new Rng(1))).toBe(pick(tied, {}, new Rng(1)).id);
  });
});
