import { describe, expect, it } from 'vitest';
import {
  classifyError,
  isRefusal,
  looksUnfinished,
  ungroundedEntities,
  type TaxonomyInput,
} from '../../../src/ml/eval/index.js';

const base: TaxonomyInput = {
  prediction: 'Lyon',
  instruction: 'What is the capital of France?',
  references: ['Paris'],
  expectedLanguage: 'en',
  f1: 0,
  constraintResults: [],
  partialF1Threshold: 0.5,
};

describe('error taxonomy', () => {
  it('classifies each category', () => {
    expect(classifyError({ ...base, prediction: '  ' })).toBe('empty');
    expect(classifyError({ ...base, prediction: 'The capital is', finishReason: 'length' })).toBe(
      'truncated',
    );
    expect(classifyError({ ...base, prediction: '{"answer": "Par' })).toBe('truncated');
    expect(classifyError({ ...base, prediction: "I'm sorry, but I can't help with that." })).toBe('refusal');
    expect(classifyError({ ...base, prediction: '抱歉，我无法回答这个问题。', expectedLanguage: 'zh' })).toBe(
      'refusal',
    );
    expect(classifyError({ ...base, prediction: '巴黎是首都' })).toBe('wrong_language');
    expect(
      classifyError({
        ...base,
        prediction: 'paris, france',
        constraintResults: [{ kind: 'no_commas', strict: false, loose: false }],
      }),
    ).toBe('format_violation');
    // "Marseille" appears nowhere in the instruction or reference
    expect(classifyError({ ...base, prediction: 'It is Marseille' })).toBe('entity_not_grounded');
    expect(
      classifyError({ ...base, prediction: 'capital city paris region', f1: 0.4, partialF1Threshold: 0.3 }),
    ).toBe('partially_correct');
    expect(classifyError({ ...base, prediction: 'capital city paris region', f1: 0.4 })).toBe('wrong');
    expect(classifyError({ ...base, prediction: 'lyon' })).toBe('wrong');
  });

  it('follows the documented precedence', () => {
    // Truncated beats refusal and wrong language; refusal beats wrong language; wrong language
    // beats format violation; format violation beats ungrounded entities.
    expect(classifyError({ ...base, prediction: "I'm sorry, I cannot", finishReason: 'length' })).toBe(
      'truncated',
    );
    expect(classifyError({ ...base, prediction: '对不起，我不能回答' })).toBe('refusal');
    expect(
      classifyError({
        ...base,
        prediction: '巴黎，法国',
        constraintResults: [{ kind: 'no_commas', strict: false, loose: false }],
      }),
    ).toBe('wrong_language');
    expect(
      classifyError({
        ...base,
        prediction: 'It is Marseille, 1999',
        constraintResults: [{ kind: 'no_commas', strict: false, loose: false }],
      }),
    ).toBe('format_violation');
  });

  it('detects refusals in English and Chinese, not ordinary answers', () => {
    expect(isRefusal('As an AI language model, I cannot browse.')).toBe(true);
    expect(isRefusal('I am unable to provide that information.')).toBe(true);
    expect(isRefusal('作为一个AI，我不能提供医疗建议。')).toBe(true);
    expect(isRefusal('我无法回答这个问题')).toBe(true);
    expect(isRefusal('Paris is the capital; I cannot think of a better city.')).toBe(false);
    expect(isRefusal('巴黎是法国的首都。')).toBe(false);
  });

  it('finds ungrounded numbers, proper nouns and lexicon terms', () => {
    const sources = 'Revenue rose to 1,200 in 2023 at Acme.';
    expect(ungroundedEntities('Acme made 1,200 in 2023.', sources)).toEqual([]);
    expect(ungroundedEntities('Acme made 1,500 in 2023 with Globex.', sources)).toEqual(['1,500', 'Globex']);
    // Sentence-initial capitals are not names.
    expect(ungroundedEntities('Revenue rose. Then it fell.', sources)).toEqual([]);
    expect(ungroundedEntities('使用了阿司匹林', '药物是布洛芬', ['阿司匹林', '布洛芬'])).toEqual([
      '阿司匹林',
    ]);
  });

  it('spots unfinished output', () => {
    expect(looksUnfinished('```python\nprint(1)')).toBe(true);
    expect(looksUnfinished('```python\nprint(1)\n```')).toBe(false);
    expect(looksUnfinished('[1, 2, {"a": "b"}]')).toBe(false);
    expect(looksUnfinished('{"a": "unterminated')).toBe(true);
  });
});
