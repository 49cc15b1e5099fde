import { assertNever, type Decider } from '../shared/index.js';
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
