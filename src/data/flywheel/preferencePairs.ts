import type { ArtifactStore } from '../artifacts/index.js';
import type { SplitOptions } from '../dedup/index.js';
import type { DatasetRecord } from '../formats/index.js';
import { DerivedSplits } from '../ingest/derivedSplits.js';
import { redactRecord } from '../ingest/ingestDataset.js';
import { copyParentRecords } from '../ingest/parentRevision.js';
import { RevisionWriter, type StoredRevision } from '../ingest/revisionWriter.js';
import { mergePiiCounts, type PiiCounts } from '../pii/index.js';
import { parentOf, promptMessages, recordKey } from './flywheel.js';

/** A prompt with its candidate answers and every person's ranking of them (best first). */
export interface RankedPrompt {
  readonly promptId: string;
  readonly prompt: string;
  readonly candidates: readonly { readonly candidateId: string; readonly text: string }[];
  readonly rankings: readonly (readonly string[])[];
}

/**
 * The preference pairs a ranking implies: every candidate ranked above another is chosen over it (K
 * candidates give K(K-1)/2 pairs, as reward-model training after InstructGPT uses them).
 */
export function rankingPairs(ranking: readonly string[]): [chosen: string, rejected: string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < ranking.length; i++) {
    for (let j = i + 1; j < ranking.length; j++) pairs.push([ranking[i]!, ranking[j]!]);
  }
  return pairs;
}

export interface PreferenceRevisionOptions {
  readonly store: ArtifactStore;
  /** The revision the new one extends (records copied first); none for a dataset's first revision. */
  readonly parentContentHash?: string;
  /** The parent's eval split (see ParentRevision.evalSplitHash). */
  readonly parentEvalSplitHash?: string | null;
  readonly prompts: Iterable<RankedPrompt>;
  readonly split: SplitOptions;
}

export interface PreferenceRevisionFacts extends StoredRevision {
  readonly copied: number;
  /** New preference pairs. */
  readonly added: number;
  /** Prompts that gave at least one new pair, in order. */
  readonly used: readonly string[];
  /** Pairs already in the revision (the same ranking again, or an earlier run). */
  readonly duplicates: number;
  readonly pii: PiiCounts;
}

/**
 * Writes a preference revision (records with `chosen` and `rejected`, the `preference` format) from
 * human rankings: the parent's records, then one record per new pair, redacted. Exact duplicates are skipped.
 * Parent records keep their split; the pairs of one prompt all go to one split, eval when the parent held
 * that prompt out (DerivedSplits).
 */
export async function writePreferenceRevision(
  options: PreferenceRevisionOptions,
): Promise<PreferenceRevisionFacts> {
  const writer = await RevisionWriter.open(options.store, options.split);
  const splits = new DerivedSplits(options.split);
  const seen = new Set<number>();
  const used: string[] = [];
  const pii: PiiCounts = {};
  let copied = 0;
  let added = 0;
  let duplicates = 0;
  try {
    if (options.parentContentHash) {
      copied = await copyParentRecords(options.store, parentOf(options), writer, splits, {
        onCopied: (record) => seen.add(recordKey(record)),
      });
    }
    for (const prompt of options.prompts) {
      const text = new Map(prompt.candidates.map((c) => [c.candidateId, c.text]));
      let fromThisPrompt = 0;
      for (const ranking of prompt.rankings) {
        for (const [chosen, rejected] of rankingPairs(ranking)) {
          const counts: PiiCounts = {};
          const record: DatasetRecord = redactRecord(
            {
              messages: promptMessages(prompt.prompt),
              chosen: text.get(chosen)!,
              rejected: text.get(rejected)!,
            },
            counts,
          );
          const key = recordKey(record);
          if (seen.has(key)) {
            duplicates++;
            continue;
          }
          seen.add(key);
          mergePiiCounts(pii, counts);
          await writer.add(record, splits.assign(record));
          added++;
          fromThisPrompt++;
        }
      }
      if (fromThisPrompt > 0) used.push(prompt.promptId);
    }
    const stored = await writer.finish();
    return { ...stored, copied, added, used, duplicates, pii };
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
