import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

const tokenNameSchema = z
  .union([z.string(), z.looseObject({ content: z.string() })])
  .nullable()
  .optional()
  .transform((v) => (v === null || v === undefined ? undefined : typeof v === 'string' ? v : v.content));

/** The fields of a Hugging Face `tokenizer_config.json` that matter here. */
export const tokenizerConfigSchema = z.looseObject({
  bos_token: tokenNameSchema,
  eos_token: tokenNameSchema,
  pad_token: tokenNameSchema,
  unk_token: tokenNameSchema,
  add_bos_token: z.boolean().optional(),
  add_eos_token: z.boolean().optional(),
  tokenizer_class: z.string().optional(),
  model_max_length: z.number().optional(),
  chat_template: z
    .union([z.string(), z.array(z.object({ name: z.string(), template: z.string() }))])
    .optional()
    .transform((v) =>
      v === undefined || typeof v === 'string' ? v : (v.find((t) => t.name === 'default') ?? v[0])?.template,
    ),
});

export type TokenizerConfig = z.infer<typeof tokenizerConfigSchema>;

/** Reads `dir/tokenizer_config.json`; undefined when the file does not exist. */
export async function readTokenizerConfig(dir: string): Promise<TokenizerConfig | undefined> {
  const path = join(dir, 'tokenizer_config.json');
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parseTokenizerConfig(raw, path);
}

export function parseTokenizerConfig(raw: string, path = 'tokenizer_config.json'): TokenizerConfig {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = tokenizerConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`${path}: unexpected content: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
