import type { ArtifactStore } from '../artifacts/index.js';
import { hash53 } from '../dedup/index.js';
import { canonicalRecordJson, type DatasetRecord } from '../formats/index.js';
import { readCanonicalRecords } from './canonicalRecords.js';
import type { DerivedSplits } from './derivedSplits.js';
import type { RevisionWriter } from './revisionWriter.js';

/** The revision a derived one extends: its records, and which of them it held out. */
export interface ParentRevision {
  readonly contentHash: string;
  /**
   * The artifact of the parent's eval split: its records stay eval in the derived revision, the others train.
   * `null`: the parent held nothing out (every record stays train). Absent: the parent's splits are not
   * known (only a content hash was given), so its records are split as new ones are.
   */
  readonly evalSplitHash?: string | null;
}

/**
 * Copies a parent revision's records into a derived revision, in order, each into the split it had (see
 * DerivedSplits). `transform` may annotate a record first (augmentation adds entity spans): the split is the
 * source record's, not a new draw. `onCopied` sees each record as written. Returns how many were copied.
 */
export async function copyParentRecords(
  store: ArtifactStore,
  parent: ParentRevision,
  writer: RevisionWriter,
  splits: DerivedSplits,
  options: {
    readonly transform?: (record: DatasetRecord) => DatasetRecord;
    readonly onCopied?: (record: DatasetRecord) => void;
  } = {},
): Promise<number> {
  const heldOut = await heldOutLines(store, parent.evalSplitHash);
  let copied = 0;
  for await (const source of readCanonicalRecords(store, parent.contentHash)) {
    const record = options.transform ? options.transform(source) : source;
    const split = heldOut
      ? splits.inherit(record, heldOut.has(hash53(canonicalRecordJson(source))) ? 'eval' : 'train')
      : splits.assign(record);
    await writer.add(record, split);
    options.onCopied?.(record);
    copied++;
  }
  return copied;
}

/** Keys of the parent's eval split lines (the same canonical lines as in the whole revision). */
async function heldOutLines(
  store: ArtifactStore,
  evalSplitHash: string | null | undefined,
): Promise<Set<number> | undefined> {
  if (evalSplitHash === undefined) return undefined;
  const keys = new Set<number>();
  if (evalSplitHash === null) return keys;
  for await (const record of readCanonicalRecords(store, evalSplitHash))
    keys.add(hash53(canonicalRecordJson(record)));
  return keys;
}
