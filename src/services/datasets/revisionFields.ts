import type { QualityReport, SplitFacts, StoredRevision } from '../../data/index.js';
import type { AddDatasetRevision } from '../../domain/index.js';

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
  reports: { readonly pii?: Readonly<Record<string, number>>; readonly quality?: QualityReport } = {},
): StoredRevisionFields {
  return {
    contentHash: stored.contentHash,
    recordCount: stored.recordCount,
    byteSize: stored.byteSize,
    splits: { train: split(stored.splits.train), eval: split(stored.splits.eval) },
    piiReport: { counts: { ...reports.pii } },
    qualityReport: eventQualityReport(reports.quality),
  };
}
