import { describe, expect, it } from 'vitest';
import { scoreInstruction } from '../../../src/data/index.js';

describe('scoreInstruction', () => {
  it('gives the founding guide example all three elements', () => {
    const guide = '用Python实现快速排序。输入为整数列表,输出为升序列表。使用递归实现,注释每行代码。';
    expect(scoreInstruction(guide)).toEqual({
      score: 3,
      reasons: ['states the task', 'states input constraints', 'states the output format'],
    });
  });

  it('scores partial instructions by what they state', () => {
    expect(scoreInstruction('用Python实现快速排序').score).toBe(1);
    expect(scoreInstruction('Summarise the following article.').score).toBe(2);
    expect(scoreInstruction('Given a list of integers, return them sorted as a JSON array.').score).toBe(3);
    const vague = scoreInstruction('hello');
    expect(vague.score).toBe(0);
    expect(vague.reasons).toContain('task unclear: instruction too short');
  });
});
