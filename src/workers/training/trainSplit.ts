import { readCanonicalRecords, type ArtifactStore, type DatasetRecord } from '../../data/index.js';
import type { DatasetRevisionAdded } from '../../domain/index.js';

/**
 * The records a training run learns from: the train split of a dataset revision, never the whole revision.
 * Its eval split (and, by DerivedSplits, every record derived from an eval record) is held out for evaluation.
 */
export async function readTrainSplit(
  artifacts: ArtifactStore,
  revision: Pick<DatasetRevisionAdded['data'], 'splits'>,
): Promise<DatasetRecord[]> {
  const records: DatasetRecord[] = [];
  for await (const record of readCanonicalRecords(artifacts, revision.splits.train.hash))
    records.push(record);
  return records;
}
