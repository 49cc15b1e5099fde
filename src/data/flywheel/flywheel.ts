import type { ArtifactStore } from '../artifacts/index.js';
import { hash53, type SplitOptions } from '../dedup/index.js';
import { canonicalRecordJson, type DatasetRecord, type Message, type Role } from '../formats/index.js';
import { readCanonicalRecords } from '../ingest/canonicalRecords.js';
import { redactRecord } from '../ingest/ingestDataset.js';
import { RevisionWriter, type StoredRevision } from '../ingest/revisionWriter.js';
import { mergePiiCounts, type PiiCounts } from '../pii/index.js';

/** The labels a person gave a served interaction, oldest first (the FeedbackLabeled events' labels). */
export type InteractionLabel =
  | { readonly kind: 'thumbs'; readonly up: boolean }
  | { readonly kind: 'rating'; readonly value: number }
  | { readonly kind: 'correction'; readonly text: string }
  | { readonly kind: 'error-category'; readonly category: string };

/** One served exchange as the log holds it (already redacted at capture), with its labels. */
export interface LabelledInteraction {
  readonly interactionId: string;
  readonly prompt: string;
  readonly response: string;
  /** An input or output filter changed or blocked the exchange. */
  readonly filtered: boolean;
  readonly labels: readonly InteractionLabel[];
}

export type FlywheelSkip = 'unlabelled' | 'rejected' | 'no-verdict' | 'filtered' | 'empty' | 'duplicate';

/**
 * What a labelled interaction teaches. A correction (the latest one) is the answer a person wrote: it is kept
 * even when the model's answer was judged bad. Otherwise the latest thumbs or rating decides: thumbs up or a
 * rating at or above `minRating` keeps the model's answer; anything lower rejects it. Error categories alone
 * give no verdict. Filtered exchanges (a refusal replaced the answer, or the input was changed) are skipped.
 */
export function flywheelVerdict(
  interaction: LabelledInteraction,
  minRating: number,
): { readonly output: string; readonly source: 'response' | 'correction' } | { readonly skip: FlywheelSkip } {
  if (interaction.labels.length === 0) return { skip: 'unlabelled' };
  const correction = interaction.labels.findLast((label) => label.kind === 'correction');
  if (correction) return { output: correction.text, source: 'correction' };
  if (interaction.filtered) return { skip: 'filtered' };
  const judgement = interaction.labels.findLast(
    (label) => label.kind === 'thumbs' || label.kind === 'rating',
  );
  if (!judgement) return { skip: 'no-verdict' };
  const good =
    judgement.kind === 'thumbs' ? judgement.up : judgement.kind === 'rating' && judgement.value >= minRating;
  return good ? { output: interaction.response, source: 'response' } : { skip: 'rejected' };
}

const ROLE_LINE = /^(system|user|assistant): /;

/**
 * The conversation of a logged prompt. Chat requests are logged as `role: content` turns joined by newlines
 * (src/serving); a turn runs until the next line that starts a role. Anything else is one user message.
 */
export function promptMessages(prompt: string): Message[] {
  if (!ROLE_LINE.test(prompt)) return [{ role: 'user', content: prompt }];
  const messages: { role: Role; content: string }[] = [];
  for (const line of prompt.split('\n')) {
    const turn = ROLE_LINE.exec(line);
    if (turn) messages.push({ role: turn[1] as Role, content: line.slice(turn[0].length) });
    else messages.at(-1)!.content += `\n${line}`;
  }
  return messages;
}

/**
 * Copies a parent revision's records into a new revision, remembering each one's key in `seen` so that an
 * exact duplicate added after it can be skipped. Returns how many were copied.
 */
export async function copyParentRecords(
  store: ArtifactStore,
  contentHash: string,
  writer: RevisionWriter,
  seen: Set<number>,
): Promise<number> {
  let copied = 0;
  for await (const record of readCanonicalRecords(store, contentHash)) {
    seen.add(recordKey(record));
    await writer.add(record);
    copied++;
  }
  return copied;
}

/** The key exact duplicates are found by: a hash of the record's canonical JSON. */
export const recordKey = (record: DatasetRecord): number => hash53(canonicalRecordJson(record));

export interface FlywheelOptions {
  readonly store: ArtifactStore;
  /** The revision the new one extends: its records are copied first. */
  readonly parentContentHash?: string;
  readonly interactions: Iterable<LabelledInteraction>;
  /** Lowest rating that keeps the model's answer (default 4 of 5). */
  readonly minRating?: number;
  readonly split: SplitOptions;
}

export interface FlywheelFacts extends StoredRevision {
  /** Records copied from the parent revision. */
  readonly copied: number;
  /** New records from interactions. */
  readonly added: number;
  /** The interactions whose records were added, in order. */
  readonly used: readonly string[];
  /** Interactions left out, by reason. */
  readonly skipped: Readonly<Partial<Record<FlywheelSkip, number>>>;
  /** PII found (and redacted) in the new records: corrections are typed by people after capture. */
  readonly pii: PiiCounts;
  readonly corrections: number;
}

/**
 * Writes a flywheel revision: the parent's records, then one instruction record per interaction with a
 * positive verdict (its redacted prompt as the conversation, the kept answer or the correction as the
 * response). Exact duplicates of a record already in the revision are skipped, so running the flywheel again
 * over the same interactions adds nothing. Nothing is stored when an error is thrown.
 */
export async function writeFlywheelRevision(options: FlywheelOptions): Promise<FlywheelFacts> {
  const minRating = options.minRating ?? 4;
  const writer = await RevisionWriter.open(options.store, options.split);
  const seen = new Set<number>();
  const skipped: Partial<Record<FlywheelSkip, number>> = {};
  const skip = (reason: FlywheelSkip) => (skipped[reason] = (skipped[reason] ?? 0) + 1);
  const used: string[] = [];
  const pii: PiiCounts = {};
  let copied = 0;
  let corrections = 0;
  try {
    if (options.parentContentHash) {
      copied = await copyParentRecords(options.store, options.parentContentHash, writer, seen);
    }
    for (const interaction of options.interactions) {
      const verdict = flywheelVerdict(interaction, minRating);
      if ('skip' in verdict) {
        skip(verdict.skip);
        continue;
      }
      const messages = promptMessages(interaction.prompt);
      if (
        verdict.output.trim() === '' ||
        !messages.some((m) => m.role === 'user' && m.content.trim() !== '')
      ) {
        skip('empty');
        continue;
      }
      const counts: PiiCounts = {};
      const record: DatasetRecord = redactRecord(
        { messages: [...messages, { role: 'assistant', content: verdict.output }] },
        counts,
      );
      const key = recordKey(record);
      if (seen.has(key)) {
        skip('duplicate');
        continue;
      }
      seen.add(key);
      mergePiiCounts(pii, counts);
      await writer.add(record);
      used.push(interaction.interactionId);
      if (verdict.source === 'correction') corrections++;
    }
    const stored = await writer.finish();
    return { ...stored, copied, added: used.length, used, skipped, pii, corrections };
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
