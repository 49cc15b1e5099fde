import { describe, expect, it } from 'vitest';
import {
  CONSTRAINT_KINDS,
  checkConstraint,
  countSentences,
  countWords,
  constraintSchema,
  type ConstraintInput,
} from '../../../src/ml/eval/index.js';

function check(response: string, constraint: ConstraintInput): boolean {
  return checkConstraint(response, constraintSchema.parse(constraint));
}

// Each case: [constraint, a response that follows it, a response that does not].
const cases: [ConstraintInput, string, string][] = [
  [{ kind: 'json_format' }, '```json\n{"answer": 42}\n```', '{"answer": 42'],
  [{ kind: 'bullet_count', params: { count: 3 } }, '* one\n* two\n- three', '* one\n* two\n**bold** line'],
  [
    { kind: 'paragraph_count', params: { count: 2 } },
    'First paragraph.\n\nSecond paragraph.',
    'One.\n\nTwo.\n\nThree.',
  ],
  [
    { kind: 'paragraph_count', params: { count: 2, separator: 'divider' } },
    'First part. *** Second part.',
    'First part.\n\nSecond part.',
  ],
  // 5 words: Han characters count one each (今 天 天 气 好) -> 5, plus none Latin
  [
    { kind: 'word_count', params: { count: 5, relation: 'at most' } },
    '今天天气好',
    'one two three four five six',
  ],
  [{ kind: 'word_count', params: { count: 3, relation: 'at least' } }, 'the quick fox', 'hello world'],
  [
    { kind: 'sentence_count', params: { count: 2, relation: 'at least' } },
    '第一句。第二句！',
    'Only one sentence here.',
  ],
  [{ kind: 'sentence_count', params: { count: 1, relation: 'at most' } }, 'Just one.', 'One. Two.'],
  [{ kind: 'char_count', params: { count: 4, relation: 'at most' } }, '  北京大学  ', '北京大学。'],
  [{ kind: 'char_count', params: { count: 6, relation: 'at least' } }, 'abcdef', 'abc'],
  [
    { kind: 'required_keywords', params: { keywords: ['LoRA', '微调'] } },
    'We use lora for 微调.',
    'We use LoRA for fine-tuning.',
  ],
  // "cat" is a whole word: "category" does not contain the forbidden word
  [
    { kind: 'forbidden_keywords', params: { keywords: ['cat', '禁止'] } },
    'A category of dogs.',
    'The Cat sat.',
  ],
  [{ kind: 'forbidden_keywords', params: { keywords: ['禁止'] } }, '允许通行', '此处禁止通行'],
  [
    { kind: 'response_language', params: { language: 'zh' } },
    '这是一个关于 LoRA 的回答。',
    'This is an answer.',
  ],
  [{ kind: 'response_language', params: { language: 'en' } }, 'An answer about 北京.', '北京是中国的首都。'],
  [{ kind: 'starts_with', params: { phrase: 'Dear team' } }, '  "dear Team, hello', 'Hello, dear team'],
  [
    { kind: 'ends_with', params: { phrase: 'Any other questions?' } },
    'Done. Any other questions?"',
    'Any other questions? No.',
  ],
  [{ kind: 'no_commas' }, 'No commas here.', '中文逗号，也算'],
  [{ kind: 'all_lowercase' }, 'all lower case 123', 'Not all lower'],
  [{ kind: 'all_uppercase' }, 'ALL UPPER', 'ALL UPPEr'],
  [
    { kind: 'placeholder_count', params: { count: 2 } },
    'Dear [name], at [address].',
    'Dear [name], at the address.',
  ],
  [{ kind: 'title' }, '<<A Poem>>\nroses', '<< >>\nroses'],
];

describe('IFEval-style constraint checkers', () => {
  it.each(cases)('%j: passes and fails', (constraint, passing, failing) => {
    expect(check(passing, constraint)).toBe(true);
    expect(check(failing, constraint)).toBe(false);
  });

  it('has a passing and a failing case for every kind', () => {
    const covered = new Set(cases.map(([constraint]) => constraint.kind));
    expect([...covered].sort()).toEqual([...CONSTRAINT_KINDS].sort());
  });

  it('rejects constraints with bad params, saying where', () => {
    const bad = constraintSchema.safeParse({
      kind: 'word_count',
      params: { count: -1, relation: 'at most' },
    });
    expect(bad.success).toBe(false);
    expect(constraintSchema.safeParse({ kind: 'teleport' }).success).toBe(false);
  });

  it('counts words: a Han character is a word, a run of letters or digits is a word', () => {
    // Hello | 世 | 界 | It | s | 2024 -> 6 (the apostrophe splits "It's" like IFEval's \w+ tokenizer)
    expect(countWords("Hello, 世界! It's 2024.")).toBe(6);
    // emoji are not words; 𠀀 (U+20000, CJK extension B) is a letter -> 1; café -> 1
    expect(countWords('😀 𠀀 café')).toBe(2);
    expect(countWords('')).toBe(0);
  });

  it('counts sentences at sentence-ending punctuation, not decimal points', () => {
    // "Pi is 3.14." | "Really?" | "好的。" | "对！" -> 4
    expect(countSentences('Pi is 3.14. Really? 好的。对！')).toBe(4);
    expect(countSentences('v1.2.3 is out')).toBe(1);
  });

  it('paragraphs: an empty paragraph in the middle fails (IFEval rule)', () => {
    expect(
      check('a *** *** b', { kind: 'paragraph_count', params: { count: 2, separator: 'divider' } }),
    ).toBe(false);
  });
});
