import { describe, expect, it } from 'vitest';
import { feedbackSignal, labelOfSignal } from '../../src/domain/index.js';

describe('feedbackSignal: one vocabulary for labels over REST and GraphQL', () => {
  it.each([
    [{ thumbs: 'up' }, { kind: 'thumbs', up: true }],
    [{ thumbs: 'down' }, { kind: 'thumbs', up: false }],
    [{ rating: 4 }, { kind: 'rating', value: 4 }],
    [{ correction: 'Paris.' }, { kind: 'correction', text: 'Paris.' }],
    [{ errorCategory: 'refusal' }, { kind: 'error-category', category: 'refusal' }],
  ])('%j is recorded as the label %j', (signal, label) => {
    expect(labelOfSignal(feedbackSignal.parse(signal))).toEqual(label);
  });

  it.each([{}, { thumbs: 'up', rating: 5 }, { correction: 'x', errorCategory: 'y' }])(
    'refuses %j: exactly one signal',
    (signal) => {
      const parsed = feedbackSignal.safeParse(signal);
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.message).toMatch(
        /exactly one of thumbs, rating, correction, errorCategory/,
      );
    },
  );

  it.each([{ thumbs: 'sideways' }, { rating: 6 }, { rating: 2.5 }, { correction: '   ' }])(
    'refuses the out-of-range signal %j',
    (signal) => {
      expect(feedbackSignal.safeParse(signal).success).toBe(false);
    },
  );
});
