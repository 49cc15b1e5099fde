import { describe, expect, it } from 'vitest';
import {
  CHINESE_INJECTIONS,
  ENGLISH_DISTRACTORS,
  ENGLISH_INJECTIONS,
  NOISE_TYPES,
  addTypos,
  noisyVariant,
  noisyVariants,
  seededRandom,
  splitSentences,
  withNoisyCopies,
} from '../../../src/data/noise/index.js';

const english =
  'Summarise the report by Acme Corp. Use at most 50 words. Do not use commas. End with "Thanks".';
const chinese = '请总结这份报告。字数不超过五十字。不要使用逗号。以“谢谢”结尾。';

describe('instruction noise', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    for (const type of NOISE_TYPES) {
      expect(noisyVariant(english, type, { seed: 7 })).toBe(noisyVariant(english, type, { seed: 7 }));
      expect(noisyVariant(english, type, { seed: 7 })).not.toBe(english);
      expect(noisyVariant(chinese, type, { seed: 7 })).not.toBe(chinese);
    }
    const seeds = new Set(Array.from({ length: 10 }, (_, seed) => noisyVariant(english, 'typos', { seed })));
    expect(seeds.size).toBeGreaterThan(1);
  });

  it('injects an instruction in the language of the prompt', () => {
    const en = noisyVariant(english, 'injection', { seed: 1 });
    expect(ENGLISH_INJECTIONS.some((injection) => en.includes(injection))).toBe(true);
    expect(en).toContain(english);
    const zh = noisyVariant(chinese, 'injection', { seed: 1 });
    expect(CHINESE_INJECTIONS.some((injection) => zh.includes(injection))).toBe(true);
  });

  it('typos change letters but never protected entities or numbers', () => {
    for (let seed = 0; seed < 30; seed += 1) {
      const noisy = addTypos(english, seededRandom(seed), {
        rate: 0.5,
        protectedTerms: ['Acme Corp', 'Thanks'],
      });
      expect(noisy).not.toBe(english);
      expect(noisy).toContain('Acme Corp');
      expect(noisy).toContain('Thanks');
      expect(noisy).toContain('50');
      // A typo swaps or drops one character per damaged word: never more than one shorter per word.
      expect(english.length - noisy.length).toBeLessThanOrEqual(english.split(' ').length);
    }
  });

  it('adds one distractor sentence and keeps all original sentences', () => {
    const noisy = noisyVariant(english, 'distractor', { seed: 3 });
    const sentences = splitSentences(noisy);
    expect(sentences).toHaveLength(splitSentences(english).length + 1);
    expect(ENGLISH_DISTRACTORS.some((distractor) => sentences.includes(distractor))).toBe(true);
    for (const sentence of splitSentences(english)) expect(sentences).toContain(sentence);
  });

  it('reorders constraints: same sentences, first kept, different order', () => {
    for (const text of [english, chinese]) {
      const noisy = noisyVariant(text, 'reorder', { seed: 11 });
      const before = splitSentences(text);
      const after = splitSentences(noisy);
      expect(after[0]).toBe(before[0]);
      expect([...after].sort()).toEqual([...before].sort());
      expect(after).not.toEqual(before);
    }
  });

  it('builds one variant per requested type', () => {
    expect(
      noisyVariants(english, { seed: 'x', types: ['typos', 'reorder'] }).map((variant) => variant.type),
    ).toEqual(['typos', 'reorder']);
  });

  it('adds noisy copies of a share of training examples, keeping the answers', () => {
    const examples = Array.from({ length: 200 }, (_, index) => ({
      instruction: `Summarise report ${index} by Acme Corp. Keep it short. Do not use commas.`,
      output: `Answer ${index}`,
    }));
    const noisy = withNoisyCopies(examples, { seed: 9, share: 0.25, entitiesOf: () => ['Acme Corp'] });
    expect(noisy.slice(0, 200)).toEqual(examples);
    const copies = noisy.slice(200);
    // about a quarter: binomial(200, 0.25) has mean 50 and sd ~6
    expect(copies.length).toBeGreaterThan(25);
    expect(copies.length).toBeLessThan(75);
    for (const copy of copies) {
      const original = examples.find((example) => example.output === copy.output)!;
      expect(copy.instruction).not.toBe(original.instruction);
      expect(copy.instruction).toContain('Acme Corp');
      expect(NOISE_TYPES).toContain(copy.noise);
    }
    expect(new Set(copies.map((copy) => copy.noise)).size).toBe(4);
    expect(withNoisyCopies(examples, { seed: 9, share: 0.25 })).toEqual(
      withNoisyCopies(examples, { seed: 9, share: 0.25 }),
    );
    expect(() => withNoisyCopies(examples, { seed: 1, share: 2 })).toThrow(/between 0 and 1/);
  });
});
