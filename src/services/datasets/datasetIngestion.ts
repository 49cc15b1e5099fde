import { access, constants, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { pipeline, Transform, type Readable } from 'node:stream';
import {
  checkPiiKey,
  containerFromPath,
  ingestDataset,
  type ArtifactStore,
  type AugmentationTemplate,
  type Container,
  type DatasetFormat,
  type DedupMode,
  type Lexicon,
  type PiiPolicy,
  type RevisionFacts,
} from '../../data/index.js';
import { datasetStream, isDomainError, type DatasetState } from '../../domain/index.js';
import type { EventStore, RecordedEvent } from '../../eventstore/index.js';
import type { CommandContext } from '../commandContext.js';
import { deterministicId } from '../idempotency.js';
import type { Services } from '../createServices.js';
import { templateReferences } from './augmentationTemplates.js';
import { storeLexicon } from './lexiconArtifact.js';
import { DatasetRequestError } from './datasetRequestError.js';
import { qualityDetails, storedRevisionFields } from './revisionFields.js';

/** What dataset operations need from the platform: the services that append, the store that keeps bytes. */
export interface DatasetDependencies {
  readonly services: Services;
  readonly artifacts: ArtifactStore;
  /** The pseudonym key when the request gives none (TUNELEDGER_PII_KEY). */
  readonly piiKey?: string;
}

export interface IngestProgress {
  readonly bytesRead: number;
  /** Newlines read so far: the records read, for JSONL. */
  readonly linesRead: number;
  /** The file size, when the source is a file. */
  readonly totalBytes?: number;
}

export interface IngestRequest {
  /** A file path, or a stream of UTF-8 text. */
  readonly source: string | Readable;
  /** jsonl, json or csv; from the file name, else sniffed from the first character. */
  readonly container?: Container;
  readonly name: string;
  /** Add to this dataset; by default the dataset is found (or registered) by its name. */
  readonly datasetId?: string;
  readonly domain?: string;
  readonly description?: string;
  readonly format?: DatasetFormat;
  readonly lenient?: boolean;
  readonly redact?: boolean;
  /** The action per kind of PII (a kind left out is redacted), recorded in the revision's PII report. */
  readonly piiPolicy?: PiiPolicy;
  /** The pseudonym key (TUNELEDGER_PII_KEY or a per-dataset salt); needed when the policy pseudonymises. */
  readonly piiKey?: string;
  readonly minQuality?: number;
  readonly dedup?: DedupMode;
  /** Default: the dataset's (its latest revision's), else 0.1. */
  readonly evalFraction?: number;
  /** Split seed; default: the dataset's, else 0. */
  readonly seed?: number;
  /** Accept an eval split below its minimum (see minimumEvalRecords) with a warning in the revision's report. */
  readonly allowSmallEvalSplit?: boolean;
  /** How many line errors to keep (default 1000); counting goes on past it. */
  readonly maxIssues?: number;
  readonly onProgress?: (progress: IngestProgress) => void;
}

export interface IngestOutcome {
  readonly datasetId: string;
  readonly name: string;
  readonly revision: number;
  /** DatasetRegistered was appended by this ingest. */
  readonly registered: boolean;
  /** The latest revision already had this exact content: nothing was appended. */
  readonly unchanged: boolean;
  readonly facts: RevisionFacts;
  readonly events: readonly RecordedEvent[];
}

/**
 * The id a dataset gets when only its name is given: derived from the name, so ingesting under the same
 * name again adds a revision to the same dataset, from any process, without a read model.
 */
export function datasetIdForName(name: string): string {
  return deterministicId(`dataset-name:${name}`, 'datasetId');
}

/** Separate keys per command: one key on one stream for two commands would replay the first. */
function withKey(context: CommandContext, purpose: string): CommandContext {
  return context.idempotencyKey
    ? { ...context, idempotencyKey: `${context.idempotencyKey}:${purpose}` }
    : context;
}

const latestRevision = (state: DatasetState): number => state.revisions.size;

/**
 * Ingests a dataset into the platform: src/data writes the canonical revision to the artifact store FIRST,
 * then DatasetRegistered (for a new dataset) and DatasetRevisionAdded are appended with its facts. A strict
 * ingest with invalid records throws DatasetValidationError (every line error listed) and appends nothing.
 */
export async function ingestIntoPlatform(
  dependencies: DatasetDependencies,
  request: IngestRequest,
  context: CommandContext,
): Promise<IngestOutcome> {
  const { datasets } = dependencies.services;
  // A policy that pseudonymises without a key fails before anything is read (PiiPolicyError, PII_KEY_MISSING).
  if (request.piiPolicy && request.redact !== false) {
    checkPiiKey(request.piiPolicy, request.piiKey ?? dependencies.piiKey);
  }
  const name = request.name.trim();
  if (name === '') throw new DatasetRequestError('a dataset needs a name: give --name (or input.name)');
  const datasetId = request.datasetId ?? datasetIdForName(name);
  const before = await datasets.getDataset(datasetId);
  if (before.status === 'archived') {
    throw new DatasetRequestError(
      `dataset "${before.name}" (${datasetId}) is archived and takes no new revisions; ingest under another name`,
      { code: 'DATASET_ARCHIVED', field: request.datasetId ? 'datasetId' : 'name' },
    );
  }
  if (request.datasetId && before.status === 'none') {
    throw new DatasetRequestError(
      `dataset ${datasetId} is not registered; leave the id out to register it by name`,
    );
  }
  if (request.format && before.format && request.format !== before.format) {
    throw new DatasetRequestError(
      `dataset "${before.name}" holds ${before.format} records, not ${request.format}; ingest ${request.format} data under another name`,
    );
  }

  const { stream, container } = await openIngestSource(request);
  // A dataset keeps one split rule: a record held out in an earlier revision is held out again.
  const datasetSplit = before.revisions.get(latestRevision(before))?.split;
  const facts = await ingestDataset({
    source: stream,
    ...(container ? { container } : {}),
    ...(request.format ? { format: request.format } : {}),
    mode: request.lenient ? 'lenient' : 'strict',
    store: dependencies.artifacts,
    ...(request.redact !== undefined ? { redact: request.redact } : {}),
    ...(request.piiPolicy ? { piiPolicy: request.piiPolicy } : {}),
    ...((request.piiKey ?? dependencies.piiKey) !== undefined
      ? { piiKey: (request.piiKey ?? dependencies.piiKey)! }
      : {}),
    ...(request.minQuality !== undefined ? { minQuality: request.minQuality } : {}),
    ...(request.dedup ? { dedup: request.dedup } : {}),
    split: {
      evalFraction: request.evalFraction ?? datasetSplit?.evalFraction ?? 0.1,
      seed: request.seed ?? datasetSplit?.seed ?? 0,
    },
    ...(request.allowSmallEvalSplit ? { allowSmallEvalSplit: true } : {}),
    ...(request.maxIssues !== undefined ? { maxIssues: request.maxIssues } : {}),
  });

  // Read again: another ingest may have registered or revised the dataset while this one read the file.
  const current = await datasets.getDataset(datasetId);
  if (current.format && current.format !== facts.format) {
    throw new DatasetRequestError(
      `dataset "${current.name}" holds ${current.format} records, but this file holds ${facts.format}; ingest it under another name`,
    );
  }
  const latest = latestRevision(current);
  if (latest > 0 && current.revisions.get(latest)?.contentHash === facts.contentHash) {
    return { datasetId, name, revision: latest, registered: false, unchanged: true, facts, events: [] };
  }

  const events: RecordedEvent[] = [];
  let registered = false;
  if (current.status === 'none') {
    try {
      const result = await datasets.registerDataset(
        {
          datasetId,
          name,
          format: facts.format,
          ...(request.domain ? { domain: request.domain } : {}),
          ...(request.description ? { description: request.description } : {}),
        },
        withKey(context, 'register'),
      );
      events.push(...result.events);
      registered = !result.replayed;
    } catch (error) {
      // Another ingest of the same name registered it first: add the revision to that one.
      if (!(isDomainError(error) && error.code === 'DATASET_ALREADY_REGISTERED')) throw error;
    }
  }
  const added = await datasets.addRevision(
    {
      datasetId,
      ...storedRevisionFields(facts, {
        pii: facts.piiReport.counts,
        ...(facts.piiReport.policy ? { piiPolicy: facts.piiReport.policy } : {}),
        quality: facts.qualityReport,
      }),
      transform: {
        kind: 'ingest',
        params: {
          ...facts.transform.params,
          source: typeof request.source === 'string' ? basename(request.source) : '(stream)',
          format: facts.format,
          container: facts.container,
          piiTotal: facts.piiReport.total,
          recordsWithPii: facts.piiReport.recordsWithPii,
          report: qualityDetails(facts.qualityReport),
          ...(facts.warnings.length > 0 ? { warnings: facts.warnings } : {}),
        },
      },
    },
    withKey(context, 'revision'),
  );
  events.push(...added.events);
  const revisionEvent = added.events.find((event) => event.type === 'DatasetRevisionAdded');
  const revision = (revisionEvent?.data as { revision?: number } | undefined)?.revision ?? latest + 1;
  return { datasetId, name, revision, registered, unchanged: false, facts, events };
}

/** The source as a stream that counts what passes through it (for a progress bar), and its container. */
async function openIngestSource(
  request: IngestRequest,
): Promise<{ stream: Readable; container: Container | undefined }> {
  if (typeof request.source !== 'string') {
    return { stream: counted(request.source, undefined, request.onProgress), container: request.container };
  }
  const path = request.source;
  try {
    await access(path, constants.R_OK);
  } catch (error) {
    throw new DatasetRequestError(
      `cannot read dataset file ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): check the path and permissions`,
    );
  }
  const { size } = await stat(path);
  return {
    stream: counted(createReadStream(path), size, request.onProgress),
    container: request.container ?? containerFromPath(path),
  };
}

function counted(source: Readable, totalBytes: number | undefined, onProgress?: (p: IngestProgress) => void) {
  if (!onProgress) return source;
  let bytesRead = 0;
  let linesRead = 0;
  const through = new Transform({
    transform(chunk: Buffer | string, _encoding, callback) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      bytesRead += buffer.length;
      for (let at = buffer.indexOf(10); at !== -1; at = buffer.indexOf(10, at + 1)) linesRead++;
      onProgress({ bytesRead, linesRead, ...(totalBytes !== undefined ? { totalBytes } : {}) });
      callback(null, chunk);
    },
  });
  pipeline(source, through, () => {});
  return through;
}

export interface AugmentationRequestInput {
  readonly datasetId: string;
  /** The revision to augment; the latest when absent. */
  readonly revision?: number;
  readonly lexicon: Lexicon;
  /** Default: the founding guide's templates. */
  readonly templates?: readonly AugmentationTemplate[];
  readonly seed?: number;
  /** At most this many generated records; every template x term pair when absent. */
  readonly count?: number;
  readonly augmentationId?: string;
}

export interface AugmentationRequestOutcome {
  readonly augmentationId: string;
  readonly datasetId: string;
  readonly baseRevision: number;
  readonly lexiconHash: string;
  readonly templates: readonly string[];
  readonly events: readonly RecordedEvent[];
  readonly replayed: boolean;
}

/**
 * Requests an augmentation: stores the lexicon (its artifact hash is its lexiconHash, so any worker sharing
 * the artifact store can load it) and appends AugmentationRequested, which the jobs projection turns into an
 * `augment` job.
 */
export async function requestAugmentationInPlatform(
  dependencies: DatasetDependencies,
  input: AugmentationRequestInput,
  context: CommandContext,
): Promise<AugmentationRequestOutcome> {
  const state = await dependencies.services.datasets.getDataset(input.datasetId);
  if (state.status === 'none') {
    throw new DatasetRequestError(`dataset ${input.datasetId} is not registered: ingest it first`, {
      code: 'DATASET_NOT_FOUND',
      field: 'datasetId',
    });
  }
  const baseRevision = input.revision ?? latestRevision(state);
  if (baseRevision === 0) {
    throw new DatasetRequestError(
      `dataset ${input.datasetId} has no revision to augment yet: ingest a file first`,
      { code: 'DATASET_REVISION_NOT_FOUND', field: 'revision' },
    );
  }
  const lexiconHash = await storeLexicon(dependencies.artifacts, input.lexicon);
  const templates = templateReferences(input.templates);
  const result = await dependencies.services.datasets.requestAugmentation(
    {
      datasetId: input.datasetId,
      baseRevision,
      templates,
      lexiconHash,
      seed: input.seed ?? 0,
      ...(input.count !== undefined ? { count: input.count } : {}),
      ...(input.augmentationId ? { augmentationId: input.augmentationId } : {}),
    },
    context,
  );
  return {
    augmentationId: result.augmentationId,
    datasetId: input.datasetId,
    baseRevision,
    lexiconHash,
    templates,
    events: result.events,
    replayed: result.replayed,
  };
}

export type AugmentationResult =
  | {
      readonly status: 'completed';
      readonly resultingRevision: number;
      readonly recordsAdded: number;
      readonly revision: Readonly<Record<string, unknown>>;
    }
  | { readonly status: 'failed'; readonly reason: string };

/** How a requested augmentation ended, from the dataset's stream; undefined while it is still open. */
export async function augmentationResult(
  store: EventStore,
  datasetId: string,
  augmentationId: string,
): Promise<AugmentationResult | undefined> {
  const events = await store.readStream(datasetStream(datasetId));
  for (const event of events) {
    const data = event.data as Record<string, unknown>;
    if (data['augmentationId'] !== augmentationId) continue;
    if (event.type === 'AugmentationFailed') return { status: 'failed', reason: String(data['reason']) };
    if (event.type === 'AugmentationCompleted') {
      const resultingRevision = data['resultingRevision'] as number;
      const revision = events.find(
        (e) =>
          e.type === 'DatasetRevisionAdded' &&
          (e.data as { revision: number }).revision === resultingRevision,
      );
      return {
        status: 'completed',
        resultingRevision,
        recordsAdded: data['recordsAdded'] as number,
        revision: (revision?.data ?? {}) as Record<string, unknown>,
      };
    }
  }
  return undefined;
}
