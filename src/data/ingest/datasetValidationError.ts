import type { ValidationIssue } from '../formats/index.js';

/** A strict ingest found invalid records: nothing was stored; every issue (up to the cap) is listed. */
export class DatasetValidationError extends Error {
  constructor(
    readonly issues: readonly ValidationIssue[],
    readonly invalidRecords: number,
    readonly totalIssues: number,
  ) {
    const shown = issues
      .slice(0, 20)
      .map((i) => `  line ${i.line}, ${i.field}: ${i.problem} (expected ${i.expected})`)
      .join('\n');
    const more = totalIssues > 20 ? `\n  ... and ${totalIssues - 20} more` : '';
    super(
      `${invalidRecords} record(s) are invalid, so nothing was ingested (strict mode):\n${shown}${more}\n` +
        'Fix these lines, or ingest with lenient mode to keep the valid records and report the rest.',
    );
    this.name = 'DatasetValidationError';
  }
}
