import { describe, expect, it } from 'vitest';
import {
  checkConstraints,
  constraintSchema,
  looseVariants,
  summariseInstructionFollowing,
} from '../../../src/ml/eval/index.js';

const parse = (value: unknown) => constraintSchema.parse(value);

describe('strict and loose instruction following', () => {
  it('builds the eight IFEval loose variants', () => {
    const variants = looseVariants('Sure!\n**Answer** here\nHope this helps');
    expect(variants).toEqual([
      'Sure!\n**Answer** here\nHope this helps',
      '**Answer** here\nHope this helps',
      'Sure!\n**Answer** here',
      '**Answer** here',
      'Sure!\nAnswer here\nHope this helps',
      'Answer here\nHope this helps',
      'Sure!\nAnswer here',
      'Answer here',
    ]);
  });

  it('loose accepts a response once a chatty first line is removed', () => {
    const constraint = parse({ kind: 'starts_with', params: { phrase: 'Dear' } });
    const [result] = checkConstraints("Here's your letter:\nDear Bob, hi.", [constraint]);
    expect(result).toEqual({ kind: 'starts_with', strict: false, loose: true });
  });

  it('loose accepts JSON wrapped in chatty first and last lines, not text that is no JSON at all', () => {
    const lowercase = parse({ kind: 'all_lowercase' });
    expect(checkConstraints('*all* lower', [lowercase])[0]).toMatchObject({ strict: true, loose: true });
    const json = parse({ kind: 'json_format' });
    expect(checkConstraints('Sure:\n{"a": 1}\nDone.', [json])[0]).toMatchObject({
      strict: false,
      loose: true,
    });
    expect(checkConstraints('not json at all', [json])[0]).toMatchObject({ strict: false, loose: false });
  });

  it('an empty response follows nothing, even "no commas"', () => {
    expect(checkConstraints('   ', [parse({ kind: 'no_commas' })])[0]).toMatchObject({
      strict: false,
      loose: false,
    });
  });

  it('summarises prompt-level and instruction-level accuracy, overall and per type', () => {
    // Prompt 1: two constraints, both strict -> prompt followed.
    // Prompt 2: two constraints, one strict-fail/loose-pass, one fail -> not followed either way.
    // Prompt 3: one constraint, strict-fail/loose-pass.
    // Prompt 4: no constraints -> not counted.
    const summary = summariseInstructionFollowing([
      [
        { kind: 'no_commas', strict: true, loose: true },
        { kind: 'title', strict: true, loose: true },
      ],
      [
        { kind: 'no_commas', strict: false, loose: true },
        { kind: 'json_format', strict: false, loose: false },
      ],
      [{ kind: 'title', strict: false, loose: true }],
      [],
    ]);
    expect(summary.prompts).toBe(3);
    expect(summary.instructions).toBe(5);
    // strict: prompts followed 1/3; instructions followed 2/5
    expect(summary.strict.promptLevel).toBeCloseTo(1 / 3, 12);
    expect(summary.strict.instructionLevel).toBeCloseTo(2 / 5, 12);
    // loose: prompts 1 and 3 -> 2/3; instructions 4/5
    expect(summary.loose.promptLevel).toBeCloseTo(2 / 3, 12);
    expect(summary.loose.instructionLevel).toBeCloseTo(4 / 5, 12);
    expect(summary.perType.no_commas).toEqual({ count: 2, strict: 0.5, loose: 1 });
    expect(summary.perType.json_format).toEqual({ count: 1, strict: 0, loose: 0 });
  });

  it('trims each loose variant and keeps the lines between first and last joined by line breaks', () => {
    expect(looseVariants('Sure \n  one\ntwo  \n Bye')).toEqual([
      'Sure \n  one\ntwo  \n Bye',
      'one\ntwo  \n Bye',
      'Sure \n  one\ntwo',
      'one\ntwo',
      'Sure \n  one\ntwo  \n Bye',
      'one\ntwo  \n Bye',
      'Sure \n  one\ntwo',
      'one\ntwo',
    ]);
  });

  it('gives accuracy 0, not NaN, when no prompt carries a constraint', () => {
    expect(summariseInstructionFollowing([[], []])).toEqual({
      prompts: 0,
      instructions: 0,
      strict: { promptLevel: 0, instructionLevel: 0 },
      loose: { promptLevel: 0, instructionLevel: 0 },
      perType: {},
    });
  });
});
