import { describe, expect, it } from 'vitest';
import { subjectDecider } from '../../src/domain/index.js';

describe('subject decider', () => {
  const forget = (subjectId: string, reason: string) => ({
    type: 'ForgetSubject' as const,
    subjectId,
    reason,
    at: '2026-12-07T00:00:00.000Z',
  });

  it('records a subject forgotten once, and nothing when forgotten again', () => {
    const first = subjectDecider.decide(forget('alice', 'asked'), subjectDecider.initialState());
    expect(first.map((event) => event.type)).toEqual(['SubjectForgotten']);
    const state = first.reduce(subjectDecider.evolve, subjectDecider.initialState());
    expect(subjectDecider.decide(forget('alice', 'again'), state)).toEqual([]);
  });

  it.each([
    ['an empty reason', 'alice', ' '],
    ['a blank subject', '  ', 'asked'],
    ['a subject id over 200 characters', 'x'.repeat(201), 'asked'],
  ])('refuses %s with SUBJECT_FORGET_INVALID', (_, subjectId, reason) => {
    expect(() => subjectDecider.decide(forget(subjectId, reason), subjectDecider.initialState())).toThrow(
      expect.objectContaining({ code: 'SUBJECT_FORGET_INVALID', kind: 'invalid' }),
    );
  });
});
