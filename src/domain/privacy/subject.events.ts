import { z } from 'zod';
import { defineEvent, type EventOf, type EventUnionOf } from '../shared/eventRegistry.js';
import { isoTimestamp, nonEmptyExactText, nonEmptyFreeText } from '../shared/schemas.js';

/**
 * A data subject's right to erasure was exercised: the subject's data key is destroyed, so every field
 * encrypted with it reads as erased from now on. Records who was forgotten and why, never what they said.
 */
export const SubjectForgotten = defineEvent(
  'SubjectForgotten',
  z.object({
    subjectId: nonEmptyExactText,
    reason: nonEmptyFreeText,
    forgottenAt: isoTimestamp,
  }),
);

export const privacyEventDefinitions = [SubjectForgotten] as const;

export type SubjectForgotten = EventOf<typeof SubjectForgotten>;
export type PrivacyEvent = EventUnionOf<typeof privacyEventDefinitions>;
