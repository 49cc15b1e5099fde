import { z } from 'zod';
import { feedbackSignalFields } from '../domain/index.js';

const content = z.union([
  z.string(),
  z
    .array(z.object({ type: z.literal('text'), text: z.string() }))
    .transform((parts) => parts.map((p) => p.text).join('')),
]);

const stop = z
  .union([z.string(), z.array(z.string()).max(4)])
  .nullish()
  .transform((value) =>
    value === null || value === undefined ? [] : Array.isArray(value) ? value : [value],
  );

/** OpenAI's `user`: the end user a request is for, recorded as the data subject of what it records (docs/privacy.md). */
const endUser = z
  .string()
  .max(200, 'the end user id is at most 200 characters')
  .refine((user) => user.trim() !== '', 'the end user id must not be empty or only spaces')
  .nullish();

const sampling = {
  model: z.string().min(1),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  seed: z.int().nullish(),
  stop,
  n: z.literal(1).nullish(),
  /** The end user the request is for: recorded as the data subject of the exchange (docs/privacy.md). */
  user: endUser,
};

/** The subset of OpenAI's chat completion request served here; unknown fields are ignored, as OpenAI's are. */
export const chatCompletionRequest = z.object({
  ...sampling,
  messages: z
    .array(
      z.object({
        role: z
          .enum(['system', 'developer', 'user', 'assistant'])
          .transform((role) => (role === 'developer' ? 'system' : role)),
        content: content.nullish().transform((text) => text ?? ''),
      }),
    )
    .min(1),
  max_completion_tokens: z.int().positive().nullish(),
});
export type ChatCompletionRequest = z.output<typeof chatCompletionRequest>;

export const completionRequest = z.object({
  ...sampling,
  prompt: z.union([
    z.string(),
    z
      .array(z.string())
      .length(1)
      .transform((p) => p[0]!),
  ]),
});
export type CompletionRequest = z.output<typeof completionRequest>;

/**
 * POST /v1/feedback: one label per call, on an interaction served here (the response id or the bare interaction
 * id), in the vocabulary of GraphQL's labelFeedback (domain: feedbackSignal), `error_category` in snake_case.
 */
export const feedbackRequest = z
  .object({
    interaction_id: z.string().min(1).optional(),
    id: z.string().min(1).optional(),
    thumbs: feedbackSignalFields.thumbs,
    rating: feedbackSignalFields.rating,
    correction: feedbackSignalFields.correction,
    error_category: feedbackSignalFields.errorCategory,
    /** The end user who gave the label: the data subject of its correction, as `user` is of the exchange. */
    user: endUser,
  })
  .refine((body) => body.interaction_id ?? body.id, {
    message: 'give interaction_id (or id: the completion id)',
  })
  .refine(
    (body) =>
      [body.thumbs, body.rating, body.correction, body.error_category].filter((v) => v !== undefined)
        .length === 1,
    {
      message: 'give exactly one of thumbs, rating, correction, error_category',
    },
  );
export type FeedbackRequest = z.output<typeof feedbackRequest>;

/** An OpenAI-shaped error body. */
export function openaiError(
  message: string,
  type: string,
  code: string | null = null,
  param: string | null = null,
) {
  return { error: { message, type, param, code } };
}

/** A zod failure as one readable line: which field, what was wrong. */
export function describeZodError(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
}
