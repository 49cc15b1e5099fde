import type { ArtifactRef, ArtifactStore, ArtifactWriter } from '../artifacts/index.js';
import type { SplitOptions } from '../dedup/index.js';
import { canonicalRecordJson, type DatasetRecord } from '../formats/index.js';
import { splitOfRecord, type Split } from './recordSplit.js';

export const CANONICAL_MEDIA_TYPE = 'application/x-ndjson; profile=tuneledger-dataset-v1';

export interface SplitFacts extends ArtifactRef {
  readonly recordCount: number;
}

/** What a stored revision is: the facts a DatasetRevisionAdded event records. */
export interface StoredRevision {
  readonly contentHash: string;
  readonly byteSize: number;
  readonly mediaType: string;
  readonly recordCount: number;
  readonly splits: { readonly train: SplitFacts; readonly eval: SplitFacts };
  readonly split: SplitOptions;
}

/**
 * Writes canonical records (one sorted-key JSON object per line) to three artifacts at once: the
 * whole revision and its train and eval splits. Nothing becomes visible until `finish`; `abort`
 * leaves nothing behind.
 */
export class RevisionWriter {
  private recordCount = 0;
  private trainCount = 0;
  private evalCount = 0;

  private constructor(
    private readonly all: ArtifactWriter,
    private readonly train: ArtifactWriter,
    private readonly evalSplit: ArtifactWriter,
    private readonly split: SplitOptions,
  ) {}

  static async open(store: ArtifactStore, split: SplitOptions): Promise<RevisionWriter> {
    const writers = await Promise.all([
      store.createWriter(CANONICAL_MEDIA_TYPE),
      store.createWriter(CANONICAL_MEDIA_TYPE),
      store.createWriter(CANONICAL_MEDIA_TYPE),
    ]);
    return new RevisionWriter(writers[0], writers[1], writers[2], split);
  }

  /**
   * Adds a record; returns the split it went to: `split` when given (a derived revision decides it, see
   * DerivedSplits), else the hash rule (splitOfRecord).
   */
  async add(record: DatasetRecord, split?: Split): Promise<Split> {
    const line = canonicalRecordJson(record);
    const which = split ?? splitOfRecord(record, this.split, line);
    const text = `${line}\n`;
    this.recordCount++;
    await this.all.write(text);
    if (which === 'train') {
      this.trainCount++;
      await this.train.write(text);
    } else {
      this.evalCount++;
      await this.evalSplit.write(text);
    }
    return which;
  }

  /** How many records each split holds so far. */
  get counts(): { readonly records: number; readonly train: number; readonly eval: number } {
    return { records: this.recordCount, train: this.trainCount, eval: this.evalCount };
  }

  async finish(): Promise<StoredRevision> {
    const [all, train, evalRef] = await Promise.all([
      this.all.commit(),
      this.train.commit(),
      this.evalSplit.commit(),
    ]);
    return {
      contentHash: all.hash,
      byteSize: all.byteSize,
      mediaType: all.mediaType,
      recordCount: this.recordCount,
      splits: {
        train: { ...train, recordCount: this.trainCount },
        eval: { ...evalRef, recordCount: this.evalCount },
      },
      split: this.split,
    };
  }

  async abort(): Promise<void> {
    await Promise.all([this.all.abort(), this.train.abort(), this.evalSplit.abort()]);
  }
}
