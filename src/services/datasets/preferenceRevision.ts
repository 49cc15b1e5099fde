import {
  labelerAgreement,
  labelersBelow,
  writePreferenceRevision,
  type LabeledRanking,
  type RankedPrompt,
} from '../../data/index.js';
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

export interface PreferenceRevisionRequest {
  /** A dataset of format `preference`; its latest revision, if any, is the parent. */
  readonly datasetId: string;
  /** The ranked prompts to use (found through the preference read model); each is read from the log. */
  readonly promptIds: readonly string[];
  /** Share of the new pairs in the eval split (default: the parent revision's, else 0.1). */
  readonly evalFraction?: number;
  /** Split seed of the new pairs (default: the parent revision's, else 0). */
  readonly seed?: number;
  /**
   * Leave out every ranking of a labeler whose agreement (mean Kendall's tau against the others' rankings of the
   * same prompts, among the prompts of this request) is below this, in [-1, 1]. Labelers who share no prompt
   * with another are kept: there is nothing to measure them by.
   */
  readonly minAgreement?: number;
}

/** What a preference revision added, as recorded in its transform. */
export interface PreferenceCounts {
  /** Ranked prompts read from the log. */
  readonly rankedPrompts: number;
  readonly pairsAdded: number;
  readonly duplicates: number;
  readonly copied: number;
  /** Agreement among labelers on the prompts read, as recorded in the transform. */
  readonly agreement: AgreementSummary;
}

/** What the revision records of labeler agreement: figures only, no labeler's identity. */
export interface AgreementSummary {
  /** Prompts ranked by two labelers or more. */
  readonly prompts: number;
  /** Mean Kendall's tau among their rankings; null when no prompt had two. */
  readonly meanTau: number | null;
  /** Labelers measured (sharing a prompt with another). */
  readonly labelers: number;
  readonly minAgreement: number | null;
  /** Labelers below minAgreement, and the rankings of theirs left out. */
  readonly excludedLabelers: number;
  readonly excludedRankings: number;
}

export interface PreferenceRevisionOutcome {
  readonly datasetId: string;
  readonly revision: number;
  readonly parentRevision: number | undefined;
  readonly counts: PreferenceCounts;
  readonly events: readonly RecordedEvent[];
  /** True when a request under the same idempotency key recorded it before: this is its answer again. */
  readonly replayed: boolean;
}

/**
 * RLHF data from human rankings: each ranking of a prompt's candidates becomes preference pairs (every
 * candidate ranked above another is chosen over it) in a new revision of a preference dataset, which
 * reward-model and DPO runs train on. Prompts and their rankings are read from their own streams. A request
 * that would add no new pair is refused and appends nothing. A retry under the idempotency key of a request
 * that recorded its revision answers with that revision (`replayed`), without reading or adding anything.
 */
export async function buildPreferenceRevision(
  dependencies: DatasetDependencies,
  request: PreferenceRevisionRequest,
  context: CommandContext,
): Promise<PreferenceRevisionOutcome> {
  const { datasets, feedback } = dependencies.services;
  const earlier = await revisionAddedEarlier<PreferenceCounts>(datasets, request.datasetId, context);
  if (earlier) {
    const { rankedPrompts, pairsAdded, duplicates, copied, agreement } = earlier.params;
    return {
      datasetId: request.datasetId,
      revision: earlier.revision,
      parentRevision: earlier.parentRevision,
      counts: { rankedPrompts, pairsAdded, duplicates, copied, agreement: agreement ?? NOT_MEASURED },
      events: [earlier.event],
      replayed: true,
    };
  }
  const dataset = await datasetTakingRevisions(datasets, request.datasetId);
  if (dataset.format !== 'preference') {
    throw new DatasetRequestError(
      `dataset "${dataset.name}" holds ${dataset.format} records; rankings become preference pairs, register a dataset with format preference`,
    );
  }
  const latest = dataset.revisions.size;
  const parent = latest > 0 ? dataset.revisions.get(latest) : undefined;
  if (parent && !(await dependencies.artifacts.has(parent.contentHash))) {
    throw new DatasetRequestError(
      `the content of revision ${latest} (${parent.contentHash}) is not in this platform's artifact store`,
    );
  }
  const minAgreement = request.minAgreement;
  if (minAgreement !== undefined && !(minAgreement >= -1 && minAgreement <= 1)) {
    throw new DatasetRequestError(
      `minAgreement must be between -1 and 1 (Kendall's tau); got ${minAgreement}`,
    );
  }
  const found: (RankedPrompt & { labeled: LabeledRanking[] })[] = [];
  // Prompts whose texts belong to a forgotten subject read as [erased]: left out, and counted in the revision.
  let erased = 0;
  for (const promptId of new Set(request.promptIds)) {
    const prompt = await feedback.rankedPrompt(promptId);
    if (!prompt || prompt.rankings.length === 0) continue;
    if (prompt.prompt === ERASED || prompt.candidates.some((candidate) => candidate.text === ERASED)) {
      erased++;
      continue;
    }
    // Forgotten labelers all read as [erased]: each stays a labeler of its own.
    const labeled = prompt.rankings.map(({ labeler, ranking }, index) => ({
      labeler: labeler === ERASED ? `${ERASED}#${promptId}#${index}` : labeler,
      ranking,
    }));
    found.push({ promptId, prompt: prompt.prompt, candidates: prompt.candidates, rankings: [], labeled });
  }
  const measured = labelerAgreement(found.map((prompt) => prompt.labeled));
  const excluded = minAgreement === undefined ? new Set<string>() : labelersBelow(measured, minAgreement);
  let excludedRankings = 0;
  const prompts: RankedPrompt[] = found.flatMap(({ labeled, ...prompt }) => {
    const kept = labeled.filter(({ labeler }) => !excluded.has(labeler));
    excludedRankings += labeled.length - kept.length;
    return kept.length === 0 ? [] : [{ ...prompt, rankings: kept.map(({ ranking }) => ranking) }];
  });
  const agreement: AgreementSummary = {
    prompts: measured.prompts,
    meanTau: measured.meanTau,
    labelers: measured.byLabeler.size,
    minAgreement: minAgreement ?? null,
    excludedLabelers: excluded.size,
    excludedRankings,
  };
  const facts = await writePreferenceRevision({
    store: dependencies.artifacts,
    ...(parent ? { parentContentHash: parent.contentHash, parentEvalSplitHash: parent.evalSplitHash } : {}),
    prompts,
    split: derivedSplitOptions(request, parent),
  });
  if (facts.added === 0) {
    throw new DatasetRequestError(
      `no new preference pairs for dataset "${dataset.name}" from ${prompts.length} ranked prompts (${facts.duplicates} already there${erased > 0 ? `, ${erased} erased` : ''}); nothing was added`,
    );
  }
  const added = await datasets.addRevision(
    {
      datasetId: request.datasetId,
      revision: latest + 1,
      ...storedRevisionFields(facts, { pii: facts.pii }),
      ...(parent ? { parentRevision: latest } : {}),
      transform: {
        kind: 'flywheel',
        params: {
          source: 'preference-rankings',
          rankedPrompts: prompts.length,
          promptIds: [...facts.used],
          pairsAdded: facts.added,
          duplicates: facts.duplicates,
          copied: facts.copied,
          agreement,
          ...(erased > 0 ? { erased } : {}),
          split: facts.split,
        },
      },
    },
    context,
  );
  return {
    datasetId: request.datasetId,
    revision: latest + 1,
    parentRevision: parent ? latest : undefined,
    counts: {
      rankedPrompts: prompts.length,
      pairsAdded: facts.added,
      duplicates: facts.duplicates,
      copied: facts.copied,
      agreement,
    },
    events: added.events,
    replayed: added.replayed,
  };
}

/** Revisions recorded before agreement was measured. */
const NOT_MEASURED: AgreementSummary = {
  prompts: 0,
  meanTau: null,
  labelers: 0,
  minAgreement: null,
  excludedLabelers: 0,
  excludedRankings: 0,
};
