import { describe, expect, it } from 'vitest';
import { kendallTau, labelerAgreement, labelersBelow } from '../../../src/data/index.js';

describe("Kendall's tau between two labelers' rankings", () => {
  it('is 1 for the same ranking, -1 for its reverse, and counts concordant minus discordant pairs', () => {
    expect(kendallTau(['a', 'b', 'c'], ['a', 'b', 'c'])).toBe(1);
    expect(kendallTau(['a', 'b', 'c'], ['c', 'b', 'a'])).toBe(-1);
    // One swap of neighbours among 3 items: 2 concordant, 1 discordant pair.
    expect(kendallTau(['a', 'b', 'c'], ['b', 'a', 'c'])).toBeCloseTo(1 / 3, 12);
    // 4 items, b and c swapped and d moved first: pairs ab+ ac+ ad- bc- bd- cd- = (2 - 4) / 6.
    expect(kendallTau(['a', 'b', 'c', 'd'], ['d', 'a', 'c', 'b'])).toBeCloseTo(-2 / 6, 12);
  });

  it('compares only the items both hold, and has nothing to say with fewer than two', () => {
    expect(kendallTau(['a', 'x', 'b'], ['b', 'a', 'y'])).toBe(-1);
    expect(kendallTau(['a', 'b'], ['a', 'c'])).toBeNull();
    expect(kendallTau([], [])).toBeNull();
  });

  it('is symmetric', () => {
    const a = ['p', 'q', 'r', 's', 't'];
    const b = ['q', 't', 'p', 's', 'r'];
    expect(kendallTau(a, b)).toBe(kendallTau(b, a));
  });
});

describe('agreement over prompts', () => {
  it('measures only prompts with two rankings or more, per prompt then on average', () => {
    const agreement = labelerAgreement([
      [
        { labeler: 'ann', ranking: ['1', '2', '3'] },
        { labeler: 'bo', ranking: ['1', '2', '3'] },
        { labeler: 'cy', ranking: ['3', '2', '1'] },
      ],
      [
        { labeler: 'ann', ranking: ['x', 'y'] },
        { labeler: 'bo', ranking: ['x', 'y'] },
      ],
      [{ labeler: 'cy', ranking: ['m', 'n'] }],
    ]);
    expect(agreement.prompts).toBe(2);
    // Prompt 1: pairs ann-bo 1, ann-cy -1, bo-cy -1 -> -1/3; prompt 2: 1. Mean 1/3.
    expect(agreement.meanTau).toBeCloseTo(1 / 3, 12);
    // ann: prompt 1 mean(1, -1) = 0, prompt 2: 1 -> 0.5; cy: prompt 1 only, mean(-1, -1) = -1.
    expect(agreement.byLabeler.get('ann')).toEqual({ tau: 0.5, prompts: 2 });
    expect(agreement.byLabeler.get('bo')).toEqual({ tau: 0.5, prompts: 2 });
    expect(agreement.byLabeler.get('cy')).toEqual({ tau: -1, prompts: 1 });
    expect([...labelersBelow(agreement, 0)]).toEqual(['cy']);
    expect([...labelersBelow(agreement, 0.5)]).toEqual(['cy']);
    expect([...labelersBelow(agreement, 0.51)].sort()).toEqual(['ann', 'bo', 'cy']);
    expect(labelersBelow(agreement, -1).size).toBe(0);
  });

  it('has no figure when no prompt had two labelers', () => {
    const agreement = labelerAgreement([[{ labeler: 'ann', ranking: ['a', 'b'] }], []]);
    expect(agreement).toEqual({ prompts: 0, meanTau: null, byLabeler: new Map() });
  });
});
