import { z } from 'zod';
import { defineEvent, type EventOf } from '../shared/eventRegistry.js';
import { id, isoTimestamp, modelRef, nonEmptyText, nonNegative, nonNegativeInt } from '../shared/schemas.js';

export const InteractionRecorded = defineEvent(
  'InteractionRecorded',
  z.object({
    interactionId: id,
    deploymentName: nonEmptyText.optional(),
    model: modelRef,
    /** Already redacted by the serving filters: no PII is stored in the log. */
    prompt: z.string(),
    response: z.string(),
    latencyMs: nonNegative,
    tokens: z.object({ prompt: nonNegativeInt, completion: nonNegativeInt }),
    meanTokenEntropy: nonNegative.optional(),
    /** Set when an input or output filter changed or blocked the exchange. */
    filtered: z.object({ stage: z.enum(['input', 'output']), rule: nonEmptyText }).optional(),
    recordedAt: isoTimestamp,
  }),
);

export const feedbackLabel = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('thumbs'), up: z.boolean() }),
  z.object({ kind: z.literal('rating'), value: z.int().min(1).max(5) }),
  z.object({ kind: z.literal('correction'), text: nonEmptyText }),
  z.object({ kind: z.literal('error-category'), category: nonEmptyText }),
]);
export type FeedbackLabel = z.infer<typeof feedbackLabel>;

export const FeedbackLabeled = defineEvent(
  'FeedbackLabeled',
  z.object({
    interactionId: id,
    label: feedbackLabel,
    labeler: nonEmptyText,
    labeledAt: isoTimestamp,
  }),
);

export const candidate = z.object({ candidateId: id, text: z.string(), model: modelRef.optional() });
export type Candidate = z.infer<typeof candidate>;

export const CandidatesGenerated = defineEvent(
  'CandidatesGenerated',
  z.object({
    promptId: id,
    prompt: z.string(),
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
    labeler: nonEmptyText,
    rankedAt: isoTimestamp,
  }),
);

export const feedbackEventDefinitions = [
  InteractionRecorded,
  FeedbackLabeled,
  CandidatesGenerated,
  PreferenceRanked,
] as const;

export type InteractionRecorded = EventOf<typeof InteractionRecorded>;
export type FeedbackLabeled = EventOf<typeof FeedbackLabeled>;
export type CandidatesGenerated = EventOf<typeof CandidatesGenerated>;
export type PreferenceRanked = EventOf<typeof PreferenceRanked>;

export type InteractionEvent = InteractionRecorded | FeedbackLabeled;
export type PreferenceEvent = CandidatesGenerated | PreferenceRanked;
export type FeedbackEvent = InteractionEvent | PreferenceEvent;
