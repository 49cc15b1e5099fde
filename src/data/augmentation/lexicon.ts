import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { canonicalJson } from '../formats/index.js';

/**
 * A domain term lexicon (JSON). Each term has a category ("medical/disease", "legal/contract"...)
 * and optional attributes (en, definition, definition_en...) that templates can use to fill the
 * response. The terms are also the entities the entity-weighted loss gives more weight to.
 */
export const lexiconSchema = z.object({
  name: z.string().min(1),
  version: z.number().int().positive().default(1),
  description: z.string().optional(),
  terms: z
    .array(
      z.object({
        term: z.string().min(1, { error: 'a term must not be empty' }),
        category: z.string().min(1),
        attributes: z.record(z.string(), z.string()).default({}),
      }),
    )
    .min(1, { error: 'a lexicon needs at least one term' }),
});
export type Lexicon = z.infer<typeof lexiconSchema>;
export type LexiconTerm = Lexicon['terms'][number];

export function parseLexicon(value: unknown, where = 'lexicon'): Lexicon {
  const parsed = lexiconSchema.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new Error(`${where} is not a valid lexicon (${first}); see docs/data.md for the format`);
  }
  return parsed.data;
}

export async function loadLexicon(path: string): Promise<Lexicon> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (error) {
    throw new Error(`cannot read lexicon ${path}: ${(error as Error).message}`);
  }
  return parseLexicon(raw, path);
}

/** sha256 of the lexicon's canonical JSON: what training runs record to name the lexicon they weighted. */
export function lexiconHash(lexicon: Lexicon): string {
  return createHash('sha256').update(canonicalJson(lexicon)).digest('hex');
}
