import { splitOf, type SplitOptions } from '../dedup/index.js';
import { canonicalRecordJson, type DatasetRecord } from '../formats/index.js';

export type Split = 'train' | 'eval';

/**
 * What a record's split is decided by: its conversation and answers in canonical JSON. Annotations (entity
 * spans, provenance) are left out, so annotating a record (as augmentation does to the records it copies)
 * never moves it to the other split. For a record without annotations this is its canonical line.
 */
export function splitContent(record: DatasetRecord, canonicalLine?: string): string {
  if (record.entities === undefined && record.provenance === undefined) {
    return canonicalLine ?? canonicalRecordJson(record);
  }
  const { entities: _entities, provenance: _provenance, ...content } = record;
  return canonicalRecordJson(content);
}

/** The split the hash rule gives a record: its content and the dataset's seed decide (see splitOf). */
export function splitOfRecord(record: DatasetRecord, options: SplitOptions, canonicalLine?: string): Split {
  return splitOf(splitContent(record, canonicalLine), options);
}
