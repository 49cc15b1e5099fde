import { z } from 'zod';
import { nonEmptyFreeText } from '../shared/schemas.js';
import type { FeedbackLabel } from './feedback.events.js';

/**
 * How a person labels an answer, in one vocabulary over REST (`{"thumbs":"up"}`, `error_category`) and GraphQL
 * (`{ thumbs: UP }`, `errorCategory`): exactly one of thumbs, rating, correction and errorCategory. It becomes
 * the FeedbackLabel the event records (`labelOfSignal`).
 */
export const feedbackSignalFields = {
  thumbs: z.enum(['up', 'down']).optional(),
  rating: z.int().min(1).max(5).optional(),
  correction: nonEmptyFreeText.optional(),
  errorCategory: nonEmptyFreeText.optional(),
};

export const FEEDBACK_SIGNAL_ONE_OF = 'give exactly one of thumbs, rating, correction, errorCategory';

const givenSignals = (signal: Record<string, unknown>) =>
  Object.keys(feedbackSignalFields).filter((key) => signal[key] !== undefined).length;

export const feedbackSignal = z
  .object(feedbackSignalFields)
  .refine((signal) => givenSignals(signal) === 1, { message: FEEDBACK_SIGNAL_ONE_OF });
export type FeedbackSignal = z.infer<typeof feedbackSignal>;

/** The label a signal records (valid against feedbackSignal: exactly one field given). */
export function labelOfSignal(signal: FeedbackSignal): FeedbackLabel {
  if (signal.thumbs !== undefined) return { kind: 'thumbs', up: signal.thumbs === 'up' };
  if (signal.rating !== undefined) return { kind: 'rating', value: signal.rating };
  if (signal.correction !== undefined) return { kind: 'correction', text: signal.correction };
  return { kind: 'error-category', category: signal.errorCategory! };
}
