import { describe, expect, it } from 'vitest';
import {
  bagF1,
  detectAnswerLanguage,
  scoreAnswer,
  squadF1,
  squadTokens,
  summariseQa,
} from '../../../src/ml/eval/index.js';

// The QA metrics' own rules, beside the SQuAD and CMRC ports they choose between (squad.test.ts, cmrc.test.ts).
describe('QA metrics', () => {
  it('takes the language from the references, and from the prediction only when every reference is blank', () => {
    expect(detectAnswerLanguage(['', 'Paris'], '北京')).toBe('en');
    expect(detectAnswerLanguage(['Paris', '北京'], 'Paris')).toBe('zh');
    // White space only is no reference.
    expect(detectAnswerLanguage(['  ', '\n'], '北京')).toBe('zh');
    expect(detectAnswerLanguage(['  '], 'Paris')).toBe('en');
    expect(detectAnswerLanguage([], '')).toBe('en');
    expect(scoreAnswer('', ['   ']).lang).toBe('en');
  });

  it('scores an unanswerable Chinese question 1 only for an empty answer', () => {
    // Nothing is left of the reference once punctuation is gone: the question has no answer.
    expect(scoreAnswer('', ['。'], 'zh')).toEqual({ exactMatch: 1, f1: 1, lang: 'zh' });
    expect(scoreAnswer('，', ['。', ''], 'zh')).toEqual({ exactMatch: 1, f1: 1, lang: 'zh' });
    expect(scoreAnswer('北京', ['。'], 'zh')).toEqual({ exactMatch: 0, f1: 0, lang: 'zh' });
    expect(scoreAnswer('', [''])).toEqual({ exactMatch: 1, f1: 1, lang: 'en' });
    expect(scoreAnswer('Paris', [''])).toEqual({ exactMatch: 0, f1: 0, lang: 'en' });
  });

  it('averages exact match and F1 over the answers, and gives zeros for none', () => {
    expect(summariseQa([])).toEqual({ count: 0, exactMatch: 0, f1: 0 });
    const summary = summariseQa([
      { exactMatch: 1, f1: 1 },
      { exactMatch: 0, f1: 0.5 },
      { exactMatch: 0, f1: 0.25 },
      { exactMatch: 1, f1: 1 },
    ]);
    expect(summary).toEqual({ count: 4, exactMatch: 0.5, f1: 2.75 / 4 });
  });

  it('gives F1 1 when both token bags are empty and 0 when only one is (SQuAD 2.0)', () => {
    expect(bagF1([], [])).toBe(1);
    expect(bagF1(['a'], [])).toBe(0);
    expect(bagF1([], ['a'])).toBe(0);
    expect(squadF1('', '')).toBe(1);
    expect(squadF1('The', '')).toBe(1);
    expect(squadTokens('')).toEqual([]);
  });
});
