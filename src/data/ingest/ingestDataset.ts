import { access, constants } from 'node:fs/promises';
import type { ArtifactStore } from '../artifacts/index.js';
import { Deduplicator, type DedupMode, type DedupOptions, type SplitOptions } from '../dedup/index.js';
import {
  containerFromPath,
  decodeUtf8Lines,
  detectFormat,
  instructionOf,
  normaliseRecord,
  openSource,
  readContainer,
  sniffContainer,
  type Container,
  type DatasetFormat,
  type DatasetRecord,
  type DatasetSource,
  type RawItem,
  type ValidationIssue,
} from '../formats/index.js';
import {
  checkPiiKey,
  mergePiiCounts,
  redactText,
  resolvePiiPolicy,
  type PiiAction,
  type PiiCounts,
  type PiiKind,
  type PiiPolicy,
  type RedactOptions,
} from '../pii/index.js';
import { MAX_QUALITY_SCORE, scoreInstruction } from '../quality/index.js';
import { DatasetValidationError } from './datasetValidationError.js';
import { describeShortfall, EvalSplitTooSmallError, evalSplitShortfall } from './evalSplitMinimum.js';
import { EmptyDatasetError } from './emptyDatasetError.js';
import { RevisionWriter, type StoredRevision } from './revisionWriter.js';

export interface IngestOptions {
  /** A file path (container guessed from the extension) or a stream of UTF-8 text. */
  readonly source: DatasetSource;
  /** Detected from the first record when absent. */
  readonly format?: DatasetFormat;
  /** jsonl, json or csv; from the file extension or the first character when absent. */
  readonly container?: Container;
  /** strict: any invalid record rejects the file; lenient: invalid records are reported and skipped. */
  readonly mode: 'strict' | 'lenient';
  readonly store: ArtifactStore;
  /** Replace PII with typed placeholders before anything is stored (default true). */
  readonly redact?: boolean;
  /** What to do with each kind of PII found (redact, keep, pseudonymise); a kind left out is redacted. */
  readonly piiPolicy?: PiiPolicy;
  /** The key pseudonyms are made with (TUNELEDGER_PII_KEY or a per-dataset salt); needed when the policy pseudonymises. */
  readonly piiKey?: string;
  /** Drop records whose instruction scores below this (0..3, see scoreInstruction). */
  readonly minQuality?: number;
  /** Default exact. */
  readonly dedup?: DedupMode | DedupOptions;
  /** Default { evalFraction: 0.1, seed: 0 }. */
  readonly split?: SplitOptions;
  /**
   * Accept an eval split below its minimum (minimumEvalRecords), recording a warning in the facts; without
   * it such an ingest throws EvalSplitTooSmallError and stores nothing.
   */
  readonly allowSmallEvalSplit?: boolean;
  /** How many issues to keep in an error or report (default 1000); counting goes on past it. */
  readonly maxIssues?: number;
}

export interface PiiReport {
  /** Spans found by kind, whatever was done with them. */
  readonly counts: PiiCounts;
  /** The action applied to each kind; absent when redaction was off. */
  readonly policy?: Readonly<Record<PiiKind, PiiAction>>;
  readonly total: number;
  readonly recordsWithPii: number;
}

export interface QualityReport {
  readonly linesRead: number;
  readonly accepted: number;
  readonly rejected: {
    readonly records: number;
    readonly issues: readonly ValidationIssue[];
    readonly totalIssues: number;
    readonly truncated: boolean;
  };
  readonly duplicates: { readonly exact: number; readonly near: number };
  readonly belowMinQuality: number;
  readonly instructionQuality: {
    readonly maxScore: number;
    /** How many records scored 0, 1, 2 and 3. */
    readonly distribution: readonly number[];
    readonly mean: number;
    /** How often each reason was given, e.g. "no output format": 120. */
    readonly reasons: Readonly<Record<string, number>>;
  };
}

/** Everything the dataset service needs for a DatasetRevisionAdded event. */
export interface RevisionFacts extends StoredRevision {
  readonly format: DatasetFormat;
  readonly container: Container;
  readonly transform: { readonly kind: 'ingest'; readonly params: Readonly<Record<string, unknown>> };
  readonly piiReport: PiiReport;
  readonly qualityReport: QualityReport;
  /** What the caller accepted against the rules (an eval split below its minimum); empty when nothing. */
  readonly warnings: readonly string[];
}

/**
 * Streams a dataset file into the artifact store as a canonical revision: parse, validate,
 * redact, score, filter, deduplicate, split. Memory stays bounded by the dedup index (about 40
 * bytes a record in exact mode), never by the file.
 */
export async function ingestDataset(options: IngestOptions): Promise<RevisionFacts> {
  const maxIssues = options.maxIssues ?? 1000;
  const redact = options.redact ?? true;
  const redaction: RedactOptions = {
    ...(options.piiPolicy ? { policy: options.piiPolicy } : {}),
    ...(options.piiKey !== undefined ? { key: options.piiKey } : {}),
  };
  // A policy that cannot be applied fails before anything is read or written.
  if (redact && options.piiPolicy) checkPiiKey(options.piiPolicy, options.piiKey);
  const split = options.split ?? { evalFraction: 0.1, seed: 0 };
  const dedupOptions: DedupOptions =
    typeof options.dedup === 'string' ? { mode: options.dedup } : (options.dedup ?? { mode: 'exact' });
  if (typeof options.source === 'string') {
    const path = options.source;
    await access(path, constants.R_OK).catch((error: NodeJS.ErrnoException) => {
      throw new Error(
        `cannot read dataset file ${path} (${error.code ?? error.message}): check the path and permissions`,
      );
    });
  }
  const stream = openSource(options.source);
  // Lines that are not UTF-8 or are over the record limit are dropped by the decoder and reported here,
  // as invalid records: strict mode refuses the file, lenient mode counts them in the report.
  const dropped: ValidationIssue[] = [];
  let droppedLines = 0;
  const chunks = decodeUtf8Lines(stream as AsyncIterable<Uint8Array | string>, (line) => {
    droppedLines++;
    dropped.push({ line: line.line, field: '(line)', problem: line.problem, expected: line.expected });
  });
  // Whitespace alone is no dataset, whatever a CSV reader would make of it.
  let sawText = false;
  async function* noting(text: AsyncIterable<string>): AsyncGenerator<string> {
    for await (const chunk of text) {
      sawText ||= /\S/.test(chunk.replace(/^\uFEFF/, ''));
      yield chunk;
    }
  }
  const { container, items } = await startReading(options, noting(chunks));

  const issues: ValidationIssue[] = [];
  let totalIssues = 0;
  let invalidRecords = 0;
  let linesRead = 0;
  let belowMinQuality = 0;
  let kept = 0;
  const duplicates = { exact: 0, near: 0 };
  const distribution = new Array<number>(MAX_QUALITY_SCORE + 1).fill(0);
  const reasons: Record<string, number> = {};
  const pii: PiiCounts = {};
  let recordsWithPii = 0;
  let format = options.format;
  const dedup = new Deduplicator(dedupOptions);
  const writer = await RevisionWriter.open(options.store, split);
  const report = (found: readonly ValidationIssue[]) => {
    invalidRecords++;
    totalIssues += found.length;
    for (const issue of found) if (issues.length < maxIssues) issues.push(issue);
  };

  const reportDropped = () => {
    for (const issue of dropped.splice(0)) {
      linesRead++;
      report([issue]);
    }
  };

  try {
    for await (const item of items) {
      reportDropped();
      linesRead++;
      if ('error' in item) {
        report([{ line: item.line, field: '(record)', problem: item.error, expected: item.expected }]);
        continue;
      }
      format ??= detectFormat(item.value);
      if (format === undefined) {
        report([
          {
            line: item.line,
            field: '(record)',
            problem: `has fields ${Object.keys(item.value as object).join(', ') || '(none)'}, which match no known format`,
            expected:
              'alpaca (instruction, output), sharegpt (conversations), openai-messages (messages) or preference (prompt, chosen, rejected); or pass --format',
          },
        ]);
        continue;
      }
      const result = normaliseRecord(format, item.value, item.line);
      if (!result.ok) {
        report(result.issues);
        continue;
      }
      if (options.mode === 'strict' && invalidRecords > 0) continue;
      let record = result.record;
      if (redact) {
        const counts: PiiCounts = {};
        record = redactRecord(record, counts, redaction);
        const found = Object.keys(counts).length;
        if (found > 0) {
          recordsWithPii++;
          mergePiiCounts(pii, counts);
        }
      }
      const quality = scoreInstruction(instructionOf(record));
      if (options.minQuality !== undefined && quality.score < options.minQuality) {
        belowMinQuality++;
        continue;
      }
      const verdict = dedup.check(instructionOf(record), item.line);
      if (verdict.duplicate) {
        duplicates[verdict.kind]++;
        continue;
      }
      distribution[quality.score]!++;
      for (const reason of quality.reasons) reasons[reason] = (reasons[reason] ?? 0) + 1;
      await writer.add(record);
      kept++;
    }
    reportDropped();
    if (!sawText && droppedLines === 0) {
      throw new EmptyDatasetError(
        'the dataset holds no records (the file or content is empty or only whitespace): give at least one record',
      );
    }
    if (options.mode === 'strict' && invalidRecords > 0) {
      throw new DatasetValidationError(issues, invalidRecords, totalIssues);
    }
    if (format === undefined) {
      throw new EmptyDatasetError(
        `the dataset holds no valid record (${invalidRecords} rejected): give at least one valid record`,
      );
    }
    if (kept === 0) {
      throw new EmptyDatasetError(
        `no record is left to store (${linesRead} read: ${invalidRecords} invalid, ${duplicates.exact + duplicates.near} duplicates, ${belowMinQuality} below the minimum quality): a revision needs at least one record`,
      );
    }
    const shortfall = evalSplitShortfall(writer.counts, split);
    if (shortfall && !options.allowSmallEvalSplit) throw new EvalSplitTooSmallError(shortfall);
    const stored = await writer.finish();
    const accepted = stored.recordCount;
    return {
      ...stored,
      format,
      container,
      transform: {
        kind: 'ingest',
        params: {
          mode: options.mode,
          redact,
          minQuality: options.minQuality ?? null,
          dedup: dedupOptions.mode,
          split,
        },
      },
      piiReport: {
        counts: pii,
        total: Object.values(pii).reduce((a, b) => a + b, 0),
        recordsWithPii,
        ...(redact ? { policy: resolvePiiPolicy(options.piiPolicy) } : {}),
      },
      qualityReport: {
        linesRead,
        accepted,
        rejected: { records: invalidRecords, issues, totalIssues, truncated: totalIssues > issues.length },
        duplicates,
        belowMinQuality,
        instructionQuality: {
          maxScore: MAX_QUALITY_SCORE,
          distribution,
          mean: accepted === 0 ? 0 : distribution.reduce((sum, n, score) => sum + n * score, 0) / accepted,
          reasons,
        },
      },
      warnings: shortfall ? [`${describeShortfall(shortfall)}; accepted with allowSmallEvalSplit`] : [],
    };
  } catch (error) {
    await writer.abort();
    stream.destroy();
    throw error;
  }
}

async function startReading(
  options: IngestOptions,
  chunks: AsyncIterable<string>,
): Promise<{ container: Container; items: AsyncIterable<RawItem> }> {
  const known =
    options.container ?? (typeof options.source === 'string' ? containerFromPath(options.source) : undefined);
  if (known) return { container: known, items: readContainer(known, chunks) };
  // Sniff the first chunk, then hand the reader that chunk followed by the rest.
  const iterator = chunks[Symbol.asyncIterator]();
  const first = await iterator.next();
  const head = first.done ? '' : first.value;
  const container = sniffContainer(head);
  async function* replay(): AsyncGenerator<string> {
    if (head) yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { container, items: readContainer(container, replay()) };
}

/** The record with every text field redacted (as the policy says); counts added to `counts`. */
export function redactRecord(
  record: DatasetRecord,
  counts: PiiCounts,
  options?: RedactOptions,
): DatasetRecord {
  const messages = record.messages.map((m) => {
    const content = redactText(m.content, counts, options);
    return content === m.content ? m : { role: m.role, content };
  });
  const out: { -readonly [K in keyof DatasetRecord]: DatasetRecord[K] } = { ...record, messages };
  if (record.chosen !== undefined) out.chosen = redactText(record.chosen, counts, options);
  if (record.rejected !== undefined) out.rejected = redactText(record.rejected, counts, options);
  return out;
}
