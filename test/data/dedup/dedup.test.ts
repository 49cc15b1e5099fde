import { describe, expect, it } from 'vitest';
import {
  Deduplicator,
  estimatedJaccard,
  MinHasher,
  normaliseText,
  splitOf,
} from '../../../src/data/index.js';

function jaccard(a: string, b: string, n = 5): number {
  const shingles = (t: string) =>
    new Set(Array.from({ length: Math.max(1, t.length - n + 1) }, (_, i) => t.slice(i, i + n)));
  const x = shingles(a);
  const y = shingles(b);
  const inter = [...x].filter((s) => y.has(s)).length;
  return inter / (x.size + y.size - inter);
}

describe('dedup', () => {
  it('normalises case, width, punctuation and spaces', () => {
    expect(normaliseText('  Ｈello,   WORLD！ ')).toBe('hello world');
  });

  it('MinHash estimates the exact Jaccard similarity of shingle sets', () => {
    const hasher = new MinHasher(256, 5);
    const a = 'explain the difference between a list and a tuple in python with examples';
    const b = 'explain the difference between a list and a set in python with short examples';
    const exact = jaccard(a, b);
    expect(Math.abs(estimatedJaccard(hasher.signature(a), hasher.signature(b)) - exact)).toBeLessThan(0.1);
  });

  it('finds exact and near duplicates, first occurrence kept', () => {
    const d = new Deduplicator({ mode: 'near', threshold: 0.7 });
    expect(d.check('Write a haiku about autumn leaves falling in the park.', 1)).toEqual({
      duplicate: false,
    });
    expect(d.check('write a haiku about autumn leaves falling in the park', 2)).toEqual({
      duplicate: true,
      kind: 'exact',
      ofRecord: 1,
    });
    expect(d.check('Write a haiku about autumn leaves falling in the old park.', 3)).toEqual({
      duplicate: true,
      kind: 'near',
      ofRecord: 1,
    });
    expect(d.check('Translate this contract clause into English.', 4)).toEqual({ duplicate: false });
  });

  it('splits about evalFraction of records, deterministically', () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `{"i":${i}}`);
    const evalCount = lines.filter((l) => splitOf(l, { evalFraction: 0.2, seed: 1 }) === 'eval').length;
    expect(evalCount / lines.length).toBeGreaterThan(0.18);
    expect(evalCount / lines.length).toBeLessThan(0.22);
    expect(lines.map((l) => splitOf(l, { evalFraction: 0.2, seed: 1 }))).toEqual(
      lines.map((l) => splitOf(l, { evalFraction: 0.2, seed: 1 })),
    );
    expect(() => splitOf('x', { evalFraction: 2, seed: 0 })).toThrow(/out of range/);
  });
});
