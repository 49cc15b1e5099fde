import { describe, expect, it } from 'vitest';
import { evaluateGate } from '../../src/domain/index.js';

describe('evaluation gate', () => {
  it('gte passes at and above the threshold, fails below it', () => {
    const gate = [{ metric: 'exact_match', op: 'gte' as const, value: 0.6 }];
    expect(evaluateGate(gate, { exact_match: 0.6 }).passed).toBe(true);
    expect(evaluateGate(gate, { exact_match: 0.61 }).passed).toBe(true);
    const below = evaluateGate(gate, { exact_match: 0.59 });
    expect(below.passed).toBe(false);
    expect(below.failures).toEqual([{ metric: 'exact_match', op: 'gte', value: 0.6, actual: 0.59 }]);
  });

  it('lte passes at and below the threshold, fails above it', () => {
    const gate = [{ metric: 'toxicity', op: 'lte' as const, value: 0.1 }];
    expect(evaluateGate(gate, { toxicity: 0.1 }).passed).toBe(true);
    expect(evaluateGate(gate, { toxicity: 0.09 }).passed).toBe(true);
    const above = evaluateGate(gate, { toxicity: 0.11 });
    expect(above.passed).toBe(false);
    expect(above.failures).toEqual([{ metric: 'toxicity', op: 'lte', value: 0.1, actual: 0.11 }]);
  });

  it('fails a line whose metric is missing or not finite, and reports only the failing lines', () => {
    const gate = [
      { metric: 'f1', op: 'gte' as const, value: 0.5 },
      { metric: 'latency', op: 'lte' as const, value: 100 },
      { metric: 'robustness', op: 'gte' as const, value: 0.2 },
    ];
    const verdict = evaluateGate(gate, { f1: Number.NaN, robustness: 0.9 });
    expect(verdict.passed).toBe(false);
    expect(verdict.failures).toEqual([
      { metric: 'f1', op: 'gte', value: 0.5, actual: Number.NaN },
      { metric: 'latency', op: 'lte', value: 100, actual: null },
    ]);
  });

  it('an infinite metric fails on either side (a broken metric must not pass)', () => {
    expect(
      evaluateGate([{ metric: 'f1', op: 'gte', value: 0.5 }], { f1: Number.POSITIVE_INFINITY }).passed,
    ).toBe(false);
    expect(
      evaluateGate([{ metric: 'loss', op: 'lte', value: 2 }], { loss: Number.NEGATIVE_INFINITY }).passed,
    ).toBe(false);
  });

  it('an empty gate passes', () => {
    expect(evaluateGate([], {})).toEqual({ passed: true, failures: [] });
  });
});
