import { describe, expect, it } from 'vitest';
import { subjectDecider, subjectStream } from '../../src/domain/index.js';

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

  it('records who was forgotten, why and when, exactly as asked; a 200-character id is accepted', () => {
    const id = 'x'.repeat(200);
    expect(subjectDecider.decide(forget(id, 'asked by mail'), subjectDecider.initialState())).toEqual([
      {
        type: 'SubjectForgotten',
        data: { subjectId: id, reason: 'asked by mail', forgottenAt: '2026-12-07T00:00:00.000Z' },
      },
    ]);
  });

  it('an event of another kind does not mark the subject forgotten', () => {
    const other = { type: 'SomethingElse', data: {} } as unknown as Parameters<
      typeof subjectDecider.evolve
    >[1];
    expect(subjectDecider.evolve(subjectDecider.initialState(), other)).toEqual({ forgotten: false });
  });

  it.each([
    ['an empty reason', 'alice', ' ', 'reason', /give a reason/],
    ['a blank subject', '  ', 'asked', 'subjectId', /1 to 200 characters/],
    ['a subject id over 200 characters', 'x'.repeat(201), 'asked', 'subjectId', /1 to 200 characters/],
  ])('refuses %s with SUBJECT_FORGET_INVALID, naming the field', (_, subjectId, reason, field, message) => {
    expect(() => subjectDecider.decide(forget(subjectId, reason), subjectDecider.initialState())).toThrow(
      expect.objectContaining({
        code: 'SUBJECT_FORGET_INVALID',
        kind: 'invalid',
        details: { field },
        message: expect.stringMatching(message),
      }),
    );
  });

  it("keeps a subject's erasure in the stream subject-<id>, and refuses a command it does not know", () => {
    expect(subjectStream('alice')).toBe('subject-alice');
    const unknown = { type: 'RememberSubject' } as unknown as Parameters<typeof subjectDecider.decide>[0];
    expect(() => subjectDecider.decide(unknown, subjectDecider.initialState())).toThrow(/Unhandled case/);
  });
});
