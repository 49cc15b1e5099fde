import { hash53, normaliseText, type SplitOptions } from '../dedup/index.js';
import { instructionOf, type DatasetRecord } from '../formats/index.js';
import { splitOfRecord, type Split } from './recordSplit.js';

/**
 * The splits of a revision derived from another (augmentation, flywheel, preference rankings). A record's split
 * is decided once and inherited by everything made from it:
 * - a record copied from the parent keeps the split it had there (`inherit`), annotated or not;
 * - a new record that asks the question of a held-out record (the last user turn, normalised as exact dedup
 *   normalises it) is held out too, whatever its answer: a variant, a correction or another preference pair
 *   of an eval prompt never reaches training. One that asks a trained record's question is trained;
 * - any other new record goes where the hash of its content and the dataset's seed send it (`splitOfRecord`).
 * Held-out wins when a question is on both sides (a parent written before this rule may have that).
 * Memory: one 53-bit key per distinct question, as the flywheel's duplicate index.
 */
export class DerivedSplits {
  private readonly heldOutQuestions = new Set<number>();
  private readonly trainedQuestions = new Set<number>();

  constructor(readonly options: SplitOptions) {}

  /** A parent record's split, kept; the record's question follows it in this revision. */
  inherit(record: DatasetRecord, split: Split): Split {
    this.remember(record, split);
    return split;
  }

  /** The split of a record new in this revision (or copied from a parent whose splits are unknown). */
  assign(record: DatasetRecord): Split {
    const question = questionKey(record);
    const split =
      question !== undefined && this.heldOutQuestions.has(question)
        ? 'eval'
        : question !== undefined && this.trainedQuestions.has(question)
          ? 'train'
          : splitOfRecord(record, this.options);
    this.remember(record, split);
    return split;
  }

  private remember(record: DatasetRecord, split: Split): void {
    const question = questionKey(record);
    if (question === undefined) return;
    (split === 'eval' ? this.heldOutQuestions : this.trainedQuestions).add(question);
  }
}

function questionKey(record: DatasetRecord): number | undefined {
  const question = normaliseText(instructionOf(record));
  return question === '' ? undefined : hash53(question);
}
