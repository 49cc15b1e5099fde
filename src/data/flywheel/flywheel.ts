import type { ArtifactStore } from '../artifacts/index.js';
import { hash53, type SplitOptions } from '../dedup/index.js';
import { canonicalRecordJson, type DatasetRecord, type Message, type Role } from '../formats/index.js';
import { DerivedSplits } from '../ingest/derivedSplits.js';
import { redactRecord } from '../ingest/ingestDataset.js';
import { copyParentRecords, type ParentRevision } from '../ingest/parentRevision.js';
import { RevisionWriter, type StoredRevision } from '../ingest/revisionWriter.js';
import { mergePiiCounts, type PiiCounts } from '../pii/index.js';

/** The labels a person gave a served interaction, oldest first (the FeedbackLabeled events' labels). */
export type InteractionLabel =
  | { readonly kind: 'thumbs'; readonly up: boolean }
  | { readonly kind: 'rating'; readonly value: number }
  | {
      readonly kind: 'correction';
      readonly text: string;
      /** The role under which the correction was accepted (labeler, engineer, admin); absent on older labels. */
      readonly labelerRole?: string;
    }
  | { readonly kind: 'error-category'; readonly category: string };

/** One served exchange as the log holds it (already redacted at capture), with its labels. */
export interface LabelledInteraction {
  readonly interactionId: string;
  readonly prompt: string;
  readonly response: string;
  /** An input or output filter changed or blocked the exchange. */
  readonly filtered: boolean;
  readonly labels: readonly InteractionLabel[];
  /** The latest reward score of the model's answer (InteractionRewardScored); absent until scored. */
  readonly rewardScore?: number;
}

export type FlywheelSkip =
  'unlabelled' | 'rejected' | 'no-verdict' | 'filtered' | 'unscored' | 'low-reward' | 'empty' | 'duplicate';

/** What keeps a model's answer: the lowest rating, and optionally the lowest reward score. */
export interface FlywheelThresholds {
  /** Lowest 1-5 rating that keeps the model's answer. */
  readonly minRating: number;
  /**
   * Lowest reward score that keeps the model's answer (a praised answer scored lower, or not scored, is left
   * out); a person's correction is not the scored answer and is kept whatever the score.
   */
  readonly minReward?: number;
}

/**
 * What a labelled interaction teaches. A correction (the latest one) is the answer a person wrote: it is kept
 * even when the model's answer was judged bad. Otherwise the latest thumbs or rating decides: thumbs up or a
 * rating at or above `minRating` keeps the model's answer; anything lower rejects it. Error categories alone
 * give no verdict. Filtered exchanges (a refusal replaced the answer, or the input was changed) are skipped.
 * With `minReward`, a kept answer also needs a reward score at or above it.
 */
export function flywheelVerdict(
  interaction: LabelledInteraction,
  thresholds: FlywheelThresholds,
):
  | { readonly output: string; readonly source: 'response' }
  | { readonly output: string; readonly source: 'correction'; readonly labelerRole?: string }
  | { readonly skip: FlywheelSkip } {
  if (interaction.labels.length === 0) return { skip: 'unlabelled' };
  const correction = interaction.labels.findLast((label) => label.kind === 'correction');
  if (correction) {
    return {
      output: correction.text,
      source: 'correction',
      ...(correction.labelerRole !== undefined ? { labelerRole: correction.labelerRole } : {}),
    };
  }
  if (interaction.filtered) return { skip: 'filtered' };
  const judgement = interaction.labels.findLast(
    (label) => label.kind === 'thumbs' || label.kind === 'rating',
  );
  if (!judgement) return { skip: 'no-verdict' };
  const good =
    judgement.kind === 'thumbs'
      ? judgement.up
      : judgement.kind === 'rating' && judgement.value >= thresholds.minRating;
  if (!good) return { skip: 'rejected' };
  if (thresholds.minReward !== undefined) {
    if (interaction.rewardScore === undefined) return { skip: 'unscored' };
    if (interaction.rewardScore < thresholds.minReward) return { skip: 'low-reward' };
  }
  return { output: interaction.response, source: 'response' };
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

/** The key exact duplicates are found by: a hash of the record's canonical JSON. */
export const recordKey = (record: DatasetRecord): number => hash53(canonicalRecordJson(record));

export interface FlywheelOptions {
  readonly store: ArtifactStore;
  /** The revision the new one extends: its records are copied first, each into the split it had. */
  readonly parentContentHash?: string;
  /** The parent's eval split (see ParentRevision.evalSplitHash). */
  readonly parentEvalSplitHash?: string | null;
  readonly interactions: Iterable<LabelledInteraction>;
  /** Lowest rating that keeps the model's answer (default 4 of 5). */
  readonly minRating?: number;
  /** Lowest reward score that keeps the model's answer (default: no reward filter). */
  readonly minReward?: number;
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
  /**
   * Per correction added, by interaction id: the role that supplied it (who taught the model), or
   * 'unrecorded' for a correction labelled before roles were kept.
   */
  readonly correctionRoles: Readonly<Record<string, string>>;
}

/**
 * Writes a flywheel revision: the parent's records, then one instruction record per interaction with a
 * positive verdict (its redacted prompt as the conversation, the kept answer or the correction as the
 * response). Exact duplicates of a record already in the revision are skipped, so running the flywheel again
 * over the same interactions adds nothing. Parent records keep their split; a new record that asks the question
 * of an eval record (a duplicate of it, or a correction) is eval too (DerivedSplits). Nothing is stored when an
 * error is thrown.
 */
export async function writeFlywheelRevision(options: FlywheelOptions): Promise<FlywheelFacts> {
  const thresholds: FlywheelThresholds = {
    minRating: options.minRating ?? 4,
    ...(options.minReward !== undefined ? { minReward: options.minReward } : {}),
  };
  const writer = await RevisionWriter.open(options.store, options.split);
  const splits = new DerivedSplits(options.split);
  const seen = new Set<number>();
  const skipped: Partial<Record<FlywheelSkip, number>> = {};
  const skip = (reason: FlywheelSkip) => (skipped[reason] = (skipped[reason] ?? 0) + 1);
  const used: string[] = [];
  const pii: PiiCounts = {};
  let copied = 0;
  let corrections = 0;
  const correctionRoles: Record<string, string> = {};
  try {
    if (options.parentContentHash) {
      copied = await copyParentRecords(options.store, parentOf(options), writer, splits, {
        onCopied: (record) => seen.add(recordKey(record)),
      });
    }
    for (const interaction of options.interactions) {
      const verdict = flywheelVerdict(interaction, thresholds);
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
      await writer.add(record, splits.assign(record));
      used.push(interaction.interactionId);
      if (verdict.source === 'correction') {
        corrections++;
        correctionRoles[interaction.interactionId] = verdict.labelerRole ?? 'unrecorded';
      }
    }
    const stored = await writer.finish();
    return { ...stored, copied, added: used.length, used, skipped, pii, corrections, correctionRoles };
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/** The parent revision of a derived one, as its options name it. */
export function parentOf(options: {
  readonly parentContentHash?: string;
  readonly parentEvalSplitHash?: string | null;
}): ParentRevision {
  return {
    contentHash: options.parentContentHash!,
    ...(options.parentEvalSplitHash !== undefined ? { evalSplitHash: options.parentEvalSplitHash } : {}),
  };
}
