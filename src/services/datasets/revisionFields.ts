import type { QualityReport, SplitFacts, SplitOptions, StoredRevision } from '../../data/index.js';
import type { AddDatasetRevision, DatasetRevisionFacts, DatasetState } from '../../domain/index.js';
import type { RecordedEvent } from '../../eventstore/index.js';
import type { CommandContext } from '../commandContext.js';
import type { DatasetService } from '../datasetService.js';
import { DatasetRequestError } from './datasetRequestError.js';

/** The DatasetRevisionAdded fields a stored revision gives, less the ones the caller decides. */
export type StoredRevisionFields = Pick<
  AddDatasetRevision,
  'contentHash' | 'recordCount' | 'byteSize' | 'splits' | 'piiReport' | 'qualityReport'
>;

const split = (facts: SplitFacts) => ({
  hash: facts.hash,
  recordCount: facts.recordCount,
  byteSize: facts.byteSize,
});

/** What `qualityReport` of the event keeps from src/data's report: the rejected lines and the score range. */
export function eventQualityReport(report: QualityReport | undefined): StoredRevisionFields['qualityReport'] {
  if (!report) return { rejected: [] };
  const scores = report.instructionQuality.distribution
    .map((count, score) => (count > 0 ? score : -1))
    .filter((score) => score >= 0);
  return {
    rejected: report.rejected.issues.map((issue) => ({
      line: issue.line,
      reason: `${issue.field}: ${issue.problem} (expected ${issue.expected})`,
    })),
    ...(scores.length > 0
      ? {
          instructionQuality: {
            mean: report.instructionQuality.mean,
            min: Math.min(...scores),
            max: Math.max(...scores),
          },
        }
      : {}),
  };
}

/** The report details the event schema has no field for; they go into `transform.params.report`. */
export function qualityDetails(report: QualityReport): Record<string, unknown> {
  return {
    linesRead: report.linesRead,
    accepted: report.accepted,
    rejectedRecords: report.rejected.records,
    totalIssues: report.rejected.totalIssues,
    issuesTruncated: report.rejected.truncated,
    duplicates: report.duplicates,
    belowMinQuality: report.belowMinQuality,
    instructionQualityDistribution: report.instructionQuality.distribution,
    instructionQualityReasons: report.instructionQuality.reasons,
  };
}

export function storedRevisionFields(
  stored: StoredRevision,
  reports: {
    readonly pii?: Readonly<Record<string, number>>;
    /** The action applied to each kind, where a PII policy was applied. */
    readonly piiPolicy?: Readonly<Record<string, 'redact' | 'keep' | 'pseudonymise'>>;
    readonly quality?: QualityReport;
  } = {},
): StoredRevisionFields {
  return {
    contentHash: stored.contentHash,
    recordCount: stored.recordCount,
    byteSize: stored.byteSize,
    splits: { train: split(stored.splits.train), eval: split(stored.splits.eval) },
    piiReport: {
      counts: { ...reports.pii },
      ...(reports.piiPolicy ? { policy: { ...reports.piiPolicy } } : {}),
    },
    qualityReport: eventQualityReport(reports.quality),
  };
}

/** A revision recorded earlier under this request's idempotency key: what its retry answers with. */
export interface EarlierRevision<Params> {
  readonly revision: number;
  readonly parentRevision: number | undefined;
  /** The transform's params, where a derived revision keeps its counts. */
  readonly params: Params;
  readonly event: RecordedEvent;
}

/** The revision a request under this context's idempotency key added to the dataset before, if any. */
export async function revisionAddedEarlier<Params>(
  datasets: DatasetService,
  datasetId: string,
  context: CommandContext,
): Promise<EarlierRevision<Params> | undefined> {
  const event = await datasets.earlierRevision(datasetId, context);
  if (!event) return undefined;
  const { revision, parentRevision, transform } = event.data as {
    revision: number;
    parentRevision?: number;
    transform: { params: Params };
  };
  return { revision, parentRevision, params: transform.params, event };
}

/** The dataset a derived revision goes into; refused when it is not registered or is archived. */
export async function datasetTakingRevisions(
  datasets: DatasetService,
  datasetId: string,
): Promise<DatasetState> {
  const dataset = await datasets.getDataset(datasetId);
  if (dataset.status === 'none')
    throw new DatasetRequestError(`dataset ${datasetId} is not registered`, {
      code: 'DATASET_NOT_FOUND',
      field: 'datasetId',
    });
  if (dataset.status === 'archived') {
    throw new DatasetRequestError(`dataset "${dataset.name}" is archived and takes no new revisions`, {
      code: 'DATASET_ARCHIVED',
      field: 'datasetId',
    });
  }
  return dataset;
}

/**
 * The split options of a derived revision's new records: what the request says, else what the parent revision
 * recorded (the dataset's), else eval fraction 0.1 and seed 0. The parent's records keep their own splits.
 */
export function derivedSplitOptions(
  request: { readonly evalFraction?: number; readonly seed?: number },
  parent: DatasetRevisionFacts | undefined,
): SplitOptions {
  return {
    evalFraction: request.evalFraction ?? parent?.split?.evalFraction ?? 0.1,
    seed: request.seed ?? parent?.split?.seed ?? 0,
  };
}
