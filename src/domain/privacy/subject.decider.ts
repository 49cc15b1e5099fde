import { assertNever, DomainError, type Decider } from '../shared/index.js';
import type { PrivacyEvent, SubjectForgotten } from './subject.events.js';

export type ForgetSubject = {
  readonly type: 'ForgetSubject';
  readonly subjectId: string;
  readonly reason: string;
  readonly at: string;
};

export type SubjectCommand = ForgetSubject;

export interface SubjectState {
  readonly forgotten: boolean;
}

/** The stream of one data subject: only the fact that it was forgotten. */
export const subjectStream = (subjectId: string): string => `subject-${subjectId}`;

export function decideSubject(command: SubjectCommand, state: SubjectState): readonly PrivacyEvent[] {
  switch (command.type) {
    case 'ForgetSubject': {
      // The subject's stream id is built from it, and the reason is what an auditor reads later.
      if (command.subjectId.trim() === '' || command.subjectId.length > 200)
        throw new DomainError(
          'SUBJECT_FORGET_INVALID',
          'subjectId must be 1 to 200 characters, not only spaces',
          {
            field: 'subjectId',
          },
        );
      if (command.reason.trim() === '')
        throw new DomainError(
          'SUBJECT_FORGET_INVALID',
          'give a reason for forgetting the subject (it is recorded)',
          {
            field: 'reason',
          },
        );
      // Forgetting again records nothing: the key is destroyed again (a retry after a failed destroy), but
      // the log keeps the first erasure as the one that happened.
      if (state.forgotten) return [];
      const forgotten: SubjectForgotten = {
        type: 'SubjectForgotten',
        data: { subjectId: command.subjectId, reason: command.reason, forgottenAt: command.at },
      };
      return [forgotten];
    }
    default:
      return assertNever(command.type);
  }
}

export const subjectDecider: Decider<SubjectCommand, PrivacyEvent, SubjectState> = {
  initialState: () => ({ forgotten: false }),
  evolve: (state, event) => (event.type === 'SubjectForgotten' ? { forgotten: true } : state),
  decide: decideSubject,
};
