import { z } from 'zod';

/** zod schemas for the four input formats, as they appear in JSON, JSONL and (after column decoding) CSV. */
const text = z.string({ error: 'must be a string' });
const nonEmpty = text.refine((value) => value.trim().length > 0, { error: 'must not be empty' });
const optionalText = z
  .string({ error: 'must be a string when present' })
  .nullish()
  .transform((value) => value ?? undefined);

export const alpacaSchema = z.object({
  instruction: nonEmpty,
  input: optionalText,
  output: nonEmpty,
  system: optionalText,
  history: z
    .array(z.tuple([text, text], { error: 'must be a pair [user, assistant]' }), {
      error: 'must be a list of [user, assistant] pairs',
    })
    .nullish()
    .transform((value) => value ?? undefined),
});
export type AlpacaRecord = z.infer<typeof alpacaSchema>;

const SHAREGPT_ROLES = ['system', 'human', 'user', 'gpt', 'assistant', 'chatgpt', 'bing', 'bard'] as const;
export const sharegptSchema = z.object({
  conversations: z
    .array(
      z.object({
        from: z.enum(SHAREGPT_ROLES, { error: `must be one of ${SHAREGPT_ROLES.join(', ')}` }),
        value: text,
      }),
      { error: 'must be a list of {from, value} turns' },
    )
    .min(2, { error: 'must hold at least a human turn and a gpt turn' })
    .refine((turns) => isAssistant(turns[turns.length - 1]!.from), {
      error: 'must end with a gpt (assistant) turn',
    })
    .refine((turns) => turns.some((turn) => turn.from === 'human' || turn.from === 'user'), {
      error: 'must contain a human turn',
    }),
  system: optionalText,
});
export type SharegptRecord = z.infer<typeof sharegptSchema>;

export function isAssistant(from: string): boolean {
  return from === 'gpt' || from === 'assistant' || from === 'chatgpt' || from === 'bing' || from === 'bard';
}

export const openaiMessagesSchema = z.object({
  messages: z
    .array(
      z.object({
        role: z.enum(['system', 'user', 'assistant'], { error: 'must be one of system, user, assistant' }),
        content: text,
      }),
      { error: 'must be a list of {role, content} messages' },
    )
    .min(2, { error: 'must hold at least a user message and an assistant message' })
    .refine((messages) => messages[messages.length - 1]!.role === 'assistant', {
      error: 'must end with an assistant message',
    })
    .refine((messages) => messages.some((message) => message.role === 'user'), {
      error: 'must contain a user message',
    }),
});
export type OpenaiMessagesRecord = z.infer<typeof openaiMessagesSchema>;

export const preferenceSchema = z.object({
  prompt: nonEmpty,
  chosen: nonEmpty,
  rejected: nonEmpty,
  system: optionalText,
});
export type PreferenceRecord = z.infer<typeof preferenceSchema>;
