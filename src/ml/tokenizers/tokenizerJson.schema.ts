import { z } from 'zod';

/**
 * The parts of a Hugging Face `tokenizer.json` this package reads. Unknown fields pass through; unknown
 * component types are rejected later with a message naming the component.
 */
const patternSchema = z.union([z.object({ String: z.string() }), z.object({ Regex: z.string() })]);

export type TokenizerJsonPattern = z.infer<typeof patternSchema>;

export interface ComponentJson {
  readonly type: string;
  readonly [key: string]: unknown;
}

const componentSchema: z.ZodType<ComponentJson> = z.looseObject({ type: z.string() });

export const addedTokenSchema = z.looseObject({
  id: z.number().int().nonnegative(),
  content: z.string(),
  special: z.boolean().default(false),
});

export const bpeModelSchema = z.looseObject({
  type: z.literal('BPE').optional(),
  // Checked entry by entry where they are read: zod over 128k vocabulary entries and 280k merges takes seconds.
  vocab: z.custom<Record<string, number>>(
    (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
    'model.vocab must be an object of token → id',
  ),
  merges: z.custom<unknown[]>((v) => Array.isArray(v), 'model.merges must be an array').default([]),
  byte_fallback: z.boolean().default(false),
  unk_token: z.string().nullable().default(null),
  fuse_unk: z.boolean().default(false),
  ignore_merges: z.boolean().default(false),
  continuing_subword_prefix: z.string().nullable().default(null),
  end_of_word_suffix: z.string().nullable().default(null),
});

export const tokenizerJsonSchema = z.looseObject({
  added_tokens: z.array(addedTokenSchema).default([]),
  normalizer: componentSchema.nullable().default(null),
  pre_tokenizer: componentSchema.nullable().default(null),
  post_processor: componentSchema.nullable().default(null),
  decoder: componentSchema.nullable().default(null),
  model: z.looseObject({ type: z.string().optional() }),
});

export type TokenizerJson = z.infer<typeof tokenizerJsonSchema>;

export const splitComponentSchema = z.looseObject({
  pattern: patternSchema,
  behavior: z.enum(['Isolated', 'Removed', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous']),
  invert: z.boolean().default(false),
});

export const replaceComponentSchema = z.looseObject({ pattern: patternSchema, content: z.string() });

export const metaspaceComponentSchema = z.looseObject({
  replacement: z.string().default('▁'),
  prepend_scheme: z.enum(['always', 'first', 'never']).optional(),
  add_prefix_space: z.boolean().optional(),
  split: z.boolean().default(true),
});

export const byteLevelComponentSchema = z.looseObject({
  add_prefix_space: z.boolean().default(false),
  use_regex: z.boolean().default(true),
});
