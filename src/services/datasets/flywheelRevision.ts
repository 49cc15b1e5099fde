import { writeFlywheelRevision, type FlywheelSkip, type LabelledInteraction } from '../../data/index.js';
import type { RecordedEvent } from '../../eventstore/index.js';
import { ERASED } from '../../privacy/index.js';
import type { CommandContext } from '../commandContext.js';
import type { DatasetDependencies } from './datasetIngestion.js';
import { DatasetRequestError } from './datasetRequestError.js';
import {
  datasetTakingRevisions,
  derivedSplitOptions,
  revisionAddedEarlier,
  storedRevisionFields,
} from './revisionFields.js';

export interface FlywheelRequest {
  /** The instruction dataset the production data flows back into; its latest revision is the parent. */
  readonly datasetId: string;
  /** The interactions to consider (found through the feedback read model); each is read from the log. */
  readonly interactionIds: readonly string[];
  /** Lowest 1-5 rating that keeps the model's answer (default 4). */
  readonly minRating?: number;
  /**
   * Lowest reward score (InteractionRewardScored, the latest) that keeps the model's answer; corrections are
   * kept whatever the score. Default: no reward filter.
   */
  readonly minReward?: number;
  /**
   * Share of the new records in the eval split (default: the parent revision's, else 0.1). Parent records
   * keep their split whatever this says, and a new record asking an eval record's question stays eval.
   */
  readonly evalFraction?: number;
  /** Split seed of the new records (default: the parent revision's, else 0). */
  readonly seed?: number;
}

/** What a flywheel revision added, as recorded in its transform. */
export interface FlywheelCounts {
  /** Labelled interactions read from the log. */
  readonly considered: number;
  readonly added: number;
  readonly corrections: number;
  readonly copied: number;
  readonly skipped: Readonly<Record<string, number>>;
}

export interface FlywheelOutcome {
  readonly datasetId: string;
  readonly revision: number;
  readonly parentRevision: number;
  readonly counts: FlywheelCounts;
  readonly events: readonly RecordedEvent[];
  /** True when a request under the same idempotency key recorded it before: this is its answer again. */
  readonly replayed: boolean;
}

const MAX_INTERACTIONS = 100_000;

/**
 * The data flywheel: labelled production interactions become a new revision of an instruction dataset
 * (transform `flywheel`, parent = its latest revision, `sourceInteractions` = the interactions used, so
 * lineage leads from a served answer to the runs trained on it). Each interaction and its labels are read
 * from its own stream, not from a read model. The content is stored first; a request that would add no new
 * record is refused and appends nothing. A retry under the idempotency key of a request that recorded its
 * revision answers with that revision (`replayed`), without reading or adding anything.
 */
export async function buildFlywheelRevision(
  dependencies: DatasetDependencies,
  request: FlywheelRequest,
  context: CommandContext,
): Promise<FlywheelOutcome> {
  const { datasets, feedback } = dependencies.services;
  const minRating = request.minRating ?? 4;
  if (!Number.isInteger(minRating) || minRating < 1 || minRating > 5) {
    throw new DatasetRequestError(`minRating must be an integer from 1 to 5, got ${minRating}`);
  }
  if (request.minReward !== undefined && !Number.isFinite(request.minReward)) {
    throw new DatasetRequestError(`minReward must be a finite number, got ${request.minReward}`);
  }
  if (request.interactionIds.length > MAX_INTERACTIONS) {
    throw new DatasetRequestError(
      `${request.interactionIds.length} interactions in one flywheel revision; at most ${MAX_INTERACTIONS}, narrow the time window`,
    );
  }
  const earlier = await revisionAddedEarlier<FlywheelCounts>(datasets, request.datasetId, context);
  if (earlier) {
    const { considered, added, corrections, copied, skipped } = earlier.params;
    return {
      datasetId: request.datasetId,
      revision: earlier.revision,
      parentRevision: earlier.parentRevision!,
      counts: { considered, added, corrections, copied, skipped },
      events: [earlier.event],
      replayed: true,
    };
  }
  const dataset = await datasetTakingRevisions(datasets, request.datasetId);
  if (dataset.format === 'preference') {
    throw new DatasetRequestError(
      `dataset "${dataset.name}" holds preference pairs; the flywheel adds instruction records, choose an instruction dataset`,
    );
  }
  const parentRevision = dataset.revisions.size;
  const parent = dataset.revisions.get(parentRevision);
  if (!parent) {
    throw new DatasetRequestError(
      `dataset "${dataset.name}" has no revision yet; ingest one before the flywheel`,
      { code: 'DATASET_REVISION_NOT_FOUND', field: 'datasetId' },
    );
  }
  if (!(await dependencies.artifacts.has(parent.contentHash))) {
    throw new DatasetRequestError(
      `the content of revision ${parentRevision} (${parent.contentHash}) is not in this platform's artifact store`,
    );
  }

  const interactions: LabelledInteraction[] = [];
  let missing = 0;
  // Exchanges of forgotten subjects read as [erased]: they are left out, and the revision counts them.
  let erased = 0;
  let erasedCorrections = 0;
  for (const interactionId of new Set(request.interactionIds)) {
    const found = await feedback.labelledInteraction(interactionId);
    if (!found) {
      missing++;
      continue;
    }
    if (found.recorded.prompt === ERASED || found.recorded.response === ERASED) {
      erased++;
      continue;
    }
    const labels = found.labels.filter((label) => !(label.kind === 'correction' && label.text === ERASED));
    erasedCorrections += found.labels.length - labels.length;
    interactions.push({
      interactionId,
      prompt: found.recorded.prompt,
      response: found.recorded.response,
      filtered: found.recorded.filtered !== undefined,
      labels,
      ...(found.rewardScore !== undefined ? { rewardScore: found.rewardScore } : {}),
    });
  }
  const facts = await writeFlywheelRevision({
    store: dependencies.artifacts,
    parentContentHash: parent.contentHash,
    parentEvalSplitHash: parent.evalSplitHash,
    interactions,
    minRating,
    ...(request.minReward !== undefined ? { minReward: request.minReward } : {}),
    split: derivedSplitOptions(request, parent),
  });
  const skipped = {
    ...facts.skipped,
    ...(erased > 0 ? { erased } : {}),
    ...(erasedCorrections > 0 ? { erasedCorrections } : {}),
  };
  if (facts.added === 0) {
    throw new DatasetRequestError(
      `no new records for dataset "${dataset.name}" from ${interactions.length} interactions (${describeSkips(skipped)}${missing > 0 ? `; ${missing} not recorded` : ''}); nothing was added`,
    );
  }
  const added = await datasets.addRevision(
    {
      datasetId: request.datasetId,
      revision: parentRevision + 1,
      ...storedRevisionFields(facts, { pii: facts.pii }),
      parentRevision,
      sourceInteractions: [...facts.used],
      transform: {
        kind: 'flywheel',
        params: {
          minRating,
          ...(request.minReward !== undefined ? { minReward: request.minReward } : {}),
          considered: interactions.length,
          added: facts.added,
          copied: facts.copied,
          corrections: facts.corrections,
          // Who taught the model: the role that supplied each correction, by interaction id.
          correctionRoles: facts.correctionRoles,
          skipped: { ...skipped, ...(missing > 0 ? { missing } : {}) },
          split: facts.split,
        },
      },
    },
    context,
  );
  return {
    datasetId: request.datasetId,
    revision: parentRevision + 1,
    parentRevision,
    counts: {
      considered: interactions.length,
      added: facts.added,
      corrections: facts.corrections,
      copied: facts.copied,
      skipped,
    },
    events: added.events,
    replayed: added.replayed,
  };
}

function describeSkips(
  skipped: Readonly<Partial<Record<FlywheelSkip | 'erased' | 'erasedCorrections', number>>>,
): string {
  const parts = Object.entries(skipped).map(([reason, count]) => `${count} ${reason}`);
  return parts.length > 0 ? `skipped: ${parts.join(', ')}` : 'none usable';
}
