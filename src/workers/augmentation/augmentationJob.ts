import { augmentDataset, ArtifactNotFoundError, type ArtifactStore } from '../../data/index.js';
import { isDomainError, type AugmentationRequested } from '../../domain/index.js';
import {
  loadStoredLexicon,
  resolveTemplateReferences,
  storedRevisionFields,
  type CommandContext,
  type Services,
} from '../../services/index.js';
import type { ClaimedJob } from '../runtime/jobQueue.js';
import type { Reports } from '../runtime/servicePorts.js';
import type { JobContext, JobHandler, JobOutcome } from '../runtime/runWorker.js';

/**
 * What the augmentation job reads and reports: the in-process dataset service, or the API's worker
 * mutations (completeAugmentation, failAugmentation) for a worker with no database.
 */
export interface AugmentationJobServices {
  readonly datasets: Pick<Services['datasets'], 'getDataset'> &
    Reports<Services['datasets'], 'completeAugmentation' | 'failAugmentation'>;
}

export interface AugmentationWorkerOptions {
  readonly services: AugmentationJobServices;
  readonly artifacts: ArtifactStore;
  /**
   * Share of the generated records that goes to the eval split when the base revision recorded no split
   * options (default 0.1); otherwise the base revision's options (the dataset's) are kept.
   */
  readonly evalFraction?: number;
}

/** A request that can never succeed as written: fail it at once instead of retrying. */
class PermanentAugmentationError extends Error {
  override readonly name = 'PermanentAugmentationError';
}

/** Outcome events trace back to the request (same correlation); one idempotency key per outcome. */
function commandFor(job: ClaimedJob, context: JobContext, purpose: string): CommandContext {
  return {
    actor: `worker:${context.workerId}`,
    roles: ['worker'],
    correlationId: job.correlationId,
    idempotencyKey: `${purpose}:${job.jobId}`,
  };
}

/** Domain refusals that mean the augmentation is already settled or can no longer be recorded. */
const SETTLED = new Set(['AUGMENTATION_ALREADY_FINISHED']);
const REFUSED = new Set(['DATASET_ARCHIVED', 'DATASET_NOT_FOUND', 'AUGMENTATION_NOT_FOUND']);

/**
 * `augment` jobs: rebuild the request's lexicon (from the artifact store, by its hash) and templates (from
 * the request), run augmentDataset over the base revision, then record the new revision (parent = base,
 * transform augment) and AugmentationCompleted in one decision; AugmentationFailed with the reason when the
 * request cannot succeed (unknown template, lexicon or base content missing) or after the last retry.
 */
export function augmentationJobHandler(options: AugmentationWorkerOptions): JobHandler {
  const { datasets } = options.services;

  const fail = async (job: ClaimedJob, context: JobContext, reason: string): Promise<JobOutcome> => {
    const request = job.payload as AugmentationRequested['data'];
    try {
      await datasets.failAugmentation(
        {
          datasetId: request.datasetId,
          augmentationId: request.augmentationId,
          reason: reason.slice(0, 2000),
        },
        commandFor(job, context, 'augment-fail'),
      );
    } catch (error) {
      if (!(isDomainError(error) && SETTLED.has(error.code))) throw error;
    }
    return { status: 'failed', error: reason };
  };

  return {
    async run(job, context) {
      const request = job.payload as AugmentationRequested['data'] & { readonly count?: number };
      const state = await datasets.getDataset(request.datasetId);
      const known = state.augmentations.get(request.augmentationId);
      if (!known)
        throw new Error(`augmentation ${request.augmentationId} is not in dataset ${request.datasetId} yet`);
      if (known.status !== 'requested')
        return { status: known.status === 'completed' ? 'succeeded' : 'failed' };

      let facts;
      try {
        const base = state.revisions.get(request.baseRevision);
        if (!base) {
          throw new PermanentAugmentationError(
            `base revision ${request.baseRevision} of dataset ${request.datasetId} does not exist`,
          );
        }
        if (!request.lexiconHash) {
          throw new PermanentAugmentationError(
            'the request names no lexicon (lexiconHash); request it again with one',
          );
        }
        const templates = resolveTemplates(request.templates);
        const lexicon = await loadStoredLexicon(options.artifacts, request.lexiconHash).catch(
          (error: unknown) => {
            throw new PermanentAugmentationError((error as Error).message);
          },
        );
        if (!(await options.artifacts.has(base.contentHash))) {
          throw new PermanentAugmentationError(
            `the content of base revision ${request.baseRevision} (${base.contentHash}) is not in this worker's artifact store`,
          );
        }
        facts = await augmentDataset({
          store: options.artifacts,
          lexicon,
          templates,
          seed: request.seed,
          ...(request.count !== undefined ? { count: request.count } : {}),
          parentContentHash: base.contentHash,
          // The base's records keep their splits; generated ones are split with the dataset's options.
          parentEvalSplitHash: base.evalSplitHash,
          split: base.split ?? { evalFraction: options.evalFraction ?? 0.1, seed: 0 },
        });
      } catch (error) {
        if (error instanceof PermanentAugmentationError) return fail(job, context, error.message);
        if (error instanceof ArtifactNotFoundError) return fail(job, context, error.message);
        throw error;
      }
      if (context.signal.aborted) return { status: 'released' };

      try {
        await datasets.completeAugmentation(
          {
            datasetId: request.datasetId,
            augmentationId: request.augmentationId,
            ...storedRevisionFields(facts),
            transformParams: {
              ...facts.transform.params,
              templateReferences: request.templates,
              generated: facts.generated,
              copied: facts.copied,
              split: facts.split,
            },
          },
          commandFor(job, context, 'augment-complete'),
        );
      } catch (error) {
        if (isDomainError(error) && SETTLED.has(error.code)) {
          const after = (await datasets.getDataset(request.datasetId)).augmentations.get(
            request.augmentationId,
          );
          return { status: after?.status === 'completed' ? 'succeeded' : 'failed' };
        }
        if (isDomainError(error) && REFUSED.has(error.code))
          return { status: 'failed', error: error.message };
        throw error;
      }
      return { status: 'succeeded' };
    },

    async giveUp(job, context, error) {
      await fail(job, context, error);
    },
  };
}

function resolveTemplates(references: readonly string[]) {
  try {
    return resolveTemplateReferences(references);
  } catch (error) {
    throw new PermanentAugmentationError((error as Error).message);
  }
}
