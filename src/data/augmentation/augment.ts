import type { ArtifactStore } from '../artifacts/index.js';
import type { SplitOptions } from '../dedup/index.js';
import type { DatasetRecord } from '../formats/index.js';
import { copyParentRecords, DerivedSplits, RevisionWriter, type StoredRevision } from '../ingest/index.js';
import { EntityMatcher } from './entitySpans.js';
import { lexiconHash, type Lexicon } from './lexicon.js';
import {
  fill,
  instructionPart,
  requiredAttributes,
  type AugmentationTemplate,
  DEFAULT_TEMPLATES,
} from './templates.js';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GenerateOptions {
  readonly lexicon: Lexicon;
  readonly templates?: readonly AugmentationTemplate[];
  readonly seed: number;
  /** At most this many records (default: every template x term pair that fits). */
  readonly count?: number;
}

/**
 * Template x term records, in an order shuffled by the seed (same seed, same records, same order).
 * Each record carries its provenance (template id and what was substituted) and the entity spans
 * of every lexicon term in its instruction and response.
 */
export function generateAugmentedRecords(options: GenerateOptions): DatasetRecord[] {
  const templates = options.templates ?? DEFAULT_TEMPLATES;
  const pairs: [AugmentationTemplate, Lexicon['terms'][number]][] = [];
  for (const template of templates) {
    const needs = requiredAttributes(template);
    for (const term of options.lexicon.terms) {
      if (template.categories && !template.categories.some((c) => term.category.startsWith(c))) continue;
      if (needs.every((name) => term.attributes[name] !== undefined)) pairs.push([template, term]);
    }
  }
  const rng = mulberry32(options.seed);
  for (let i = pairs.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [pairs[i], pairs[j]] = [pairs[j]!, pairs[i]!];
  }
  const matcher = new EntityMatcher(options.lexicon);
  return pairs.slice(0, options.count ?? pairs.length).map(([template, term]) => {
    const values = { ...term.attributes, input: term.term, category: term.category };
    const instruction = fill(instructionPart(template.pattern), values, template.id);
    const response = fill(template.response, values, template.id);
    const substitutions: Record<string, string> = { input: term.term };
    for (const name of requiredAttributes(template)) substitutions[name] = term.attributes[name]!;
    return matcher.annotate({
      messages: [
        { role: 'user', content: instruction },
        { role: 'assistant', content: response },
      ],
      provenance: { templateId: template.id, substitutions },
    });
  });
}

export interface AugmentOptions extends GenerateOptions {
  readonly store: ArtifactStore;
  /** Content hash of the parent revision: its records are copied (with entity spans added) before the new ones. */
  readonly parentContentHash?: string;
  /**
   * The parent's eval split (see ParentRevision.evalSplitHash): its records stay eval, annotated; `null`: the
   * parent held nothing out; absent: unknown, the parent's records are split by the hash rule.
   */
  readonly parentEvalSplitHash?: string | null;
  /** The dataset's split options, for the generated records (default: eval fraction 0.1, the seed). */
  readonly split?: SplitOptions;
}

export interface AugmentationFacts extends StoredRevision {
  readonly lexiconHash: string;
  readonly templates: readonly string[];
  readonly seed: number;
  readonly generated: number;
  readonly copied: number;
  readonly parentContentHash?: string;
  readonly transform: { readonly kind: 'augment'; readonly params: Readonly<Record<string, unknown>> };
}

/**
 * Writes a new revision: the parent's records annotated with entity spans, each in the split it had there,
 * then the generated records (see DerivedSplits: one that asks an eval record's question is held out too,
 * so an augmented variant of an eval record stays eval; the others follow the hash rule). Held-out variants
 * are kept in eval rather than dropped: the eval split of a later revision still holds every question the
 * earlier one held out, so evaluations stay comparable along the lineage.
 */
export async function augmentDataset(options: AugmentOptions): Promise<AugmentationFacts> {
  const templates = options.templates ?? DEFAULT_TEMPLATES;
  const split = options.split ?? { evalFraction: 0.1, seed: options.seed };
  const generated = generateAugmentedRecords({ ...options, templates });
  const matcher = new EntityMatcher(options.lexicon);
  const writer = await RevisionWriter.open(options.store, split);
  const splits = new DerivedSplits(split);
  let copied = 0;
  try {
    if (options.parentContentHash) {
      copied = await copyParentRecords(
        options.store,
        {
          contentHash: options.parentContentHash,
          ...(options.parentEvalSplitHash !== undefined
            ? { evalSplitHash: options.parentEvalSplitHash }
            : {}),
        },
        writer,
        splits,
        { transform: (record) => matcher.annotate(record) },
      );
    }
    for (const record of generated) await writer.add(record, splits.assign(record));
    const stored = await writer.finish();
    const hash = lexiconHash(options.lexicon);
    const templateIds = templates.map((t) => t.id);
    return {
      ...stored,
      lexiconHash: hash,
      templates: templateIds,
      seed: options.seed,
      generated: generated.length,
      copied,
      ...(options.parentContentHash ? { parentContentHash: options.parentContentHash } : {}),
      transform: {
        kind: 'augment',
        params: {
          templates: templateIds,
          lexiconHash: hash,
          seed: options.seed,
          count: options.count ?? null,
        },
      },
    };
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
