import { z } from 'zod';
import { defineEvent, type EventOf, type EventUnionOf } from '../shared/eventRegistry.js';
import { exactText } from '../shared/textKinds.js';
import {
  freeString,
  id,
  isoTimestamp,
  modelRef,
  nonEmptyExactText,
  nonEmptyFreeText,
  nonNegative,
  nonNegativeInt,
} from '../shared/schemas.js';

/**
 * An end user named by a serving request (OpenAI's `user`), the data subject whose key encrypts what the event
 * holds of them. An identifier, kept byte for byte as the client sent it, so `forgetSubject` names it as it was
 * given (1 to 200 characters, not only spaces, as forgetSubject's); stored in clear (docs/privacy.md says why).
 */
const endUserSubject = exactText(
  z
    .string()
    .max(200)
    .refine((text) => text.trim() !== '', 'a subject id is 1 to 200 characters, not only spaces'),
);

export const InteractionRecorded = defineEvent(
  'InteractionRecorded',
  z.object({
    interactionId: id,
    deploymentName: nonEmptyExactText.optional(),
    model: modelRef,
    /** Redacted by the serving filters, and again by the services' gate before append. */
    prompt: freeString,
    response: freeString,
    latencyMs: nonNegative,
    tokens: z.object({ prompt: nonNegativeInt, completion: nonNegativeInt }),
    meanTokenEntropy: nonNegative.optional(),
    /** Set when an input or output filter changed or blocked the exchange. */
    filtered: z.object({ stage: z.enum(['input', 'output']), rule: nonEmptyExactText }).optional(),
    /**
     * The end user the exchange was served for (OpenAI's request `user`), the data subject whose key encrypts
     * prompt and response; absent: the recording actor is (and on events recorded before it existed).
     */
    subjectId: endUserSubject.optional(),
    recordedAt: isoTimestamp,
  }),
);

/**
 * A served interaction scored by the reward model current for its model when the background scorer reached it
 * (docs/rlhf.md: `<model>-reward`, its production version, else its newest retained one): the flywheel's
 * automatic signal. One score per interaction and reward-model version; a newer reward model scores again.
 */
export const InteractionRewardScored = defineEvent(
  'InteractionRewardScored',
  z.object({
    interactionId: id,
    rewardModel: modelRef,
    /** The reward model's scalar for the logged prompt and response; higher is better. */
    score: z.number().refine(Number.isFinite, 'a reward score is a finite number'),
    scoredAt: isoTimestamp,
  }),
);

export const feedbackLabel = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('thumbs'), up: z.boolean() }),
  z.object({ kind: z.literal('rating'), value: z.int().min(1).max(5) }),
  z.object({ kind: z.literal('correction'), text: nonEmptyFreeText }),
  z.object({ kind: z.literal('error-category'), category: nonEmptyFreeText }),
]);
export type FeedbackLabel = z.infer<typeof feedbackLabel>;
/** The kinds of a feedback label (thumbs, rating, correction, error-category). */
export const feedbackLabelKinds = feedbackLabel.options.map((option) => option.shape.kind.value);

export const FeedbackLabeled = defineEvent(
  'FeedbackLabeled',
  z.object({
    interactionId: id,
    label: feedbackLabel,
    /** The actor (a token's), as the platform knows it. */
    labeler: nonEmptyExactText,
    /**
     * The role under which a correction was accepted (labeler, engineer or admin): who taught the model.
     * Absent on signals (thumbs, ratings, error categories) and on labels recorded before roles were kept.
     */
    labelerRole: nonEmptyExactText.optional(),
    /**
     * The end user who gave the label (the request's `user` on POST /v1/feedback), the data subject whose key
     * encrypts the correction and labeler; absent: the recording actor is (and on labels recorded before it existed).
     */
    subjectId: endUserSubject.optional(),
    labeledAt: isoTimestamp,
  }),
);

export const candidate = z.object({ candidateId: id, text: freeString, model: modelRef.optional() });
export type Candidate = z.infer<typeof candidate>;

export const CandidatesGenerated = defineEvent(
  'CandidatesGenerated',
  z.object({
    promptId: id,
    prompt: freeString,
    candidates: z.array(candidate).min(2).max(8),
    generatedAt: isoTimestamp,
  }),
);

export const PreferenceRanked = defineEvent(
  'PreferenceRanked',
  z.object({
    promptId: id,
    /** Candidate ids, best first. */
    ranking: z.array(id).min(2),
    labeler: nonEmptyExactText,
    /** The role under which the ranking was accepted (labeler, engineer or admin); absent on older rankings. */
    labelerRole: nonEmptyExactText.optional(),
    rankedAt: isoTimestamp,
  }),
);

/** The events of an interaction stream (`interaction-<id>`). */
export const interactionEventDefinitions = [
  InteractionRecorded,
  FeedbackLabeled,
  InteractionRewardScored,
] as const;
/** The events of a preference stream (`preference-<promptId>`). */
export const preferenceEventDefinitions = [CandidatesGenerated, PreferenceRanked] as const;
export const feedbackEventDefinitions = [
  ...interactionEventDefinitions,
  ...preferenceEventDefinitions,
] as const;

export type InteractionRecorded = EventOf<typeof InteractionRecorded>;
export type FeedbackLabeled = EventOf<typeof FeedbackLabeled>;
export type InteractionRewardScored = EventOf<typeof InteractionRewardScored>;
export type CandidatesGenerated = EventOf<typeof CandidatesGenerated>;
export type PreferenceRanked = EventOf<typeof PreferenceRanked>;

export type InteractionEvent = EventUnionOf<typeof interactionEventDefinitions>;
export type PreferenceEvent = EventUnionOf<typeof preferenceEventDefinitions>;
export type FeedbackEvent = EventUnionOf<typeof feedbackEventDefinitions>;
