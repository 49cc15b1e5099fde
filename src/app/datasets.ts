import type { Kysely } from 'kysely';
import type { EventStore } from '../eventstore/index.js';
import { jobsProjection, ProjectionRunner } from '../projections/index.js';
import { augmentationResult, type AugmentationResult, type DatasetDependencies } from '../services/index.js';
import { augmentationJobHandler } from '../workers/augmentation/index.js';
import { runWorker, type WorkerLog } from '../workers/index.js';

export interface RunAugmentationOptions {
  readonly timeoutMs?: number;
  readonly log?: WorkerLog;
}

/**
 * Runs the augment job queue in this process until the given augmentation has ended: the jobs projection
 * turns the request into a job, the job runtime (runWorker, SKIP LOCKED) claims it, so a worker elsewhere
 * never runs the same job at the same time. Used by `dataset augment --wait` and when no worker is running.
 */
export async function runAugmentationHere(
  dependencies: DatasetDependencies & {
    readonly store: EventStore;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the shared database holds every area's tables
    readonly db: Kysely<any>;
  },
  datasetId: string,
  augmentationId: string,
  options: RunAugmentationOptions = {},
): Promise<AugmentationResult> {
  const projections = new ProjectionRunner({
    db: dependencies.db,
    store: dependencies.store,
    projections: [jobsProjection],
    pollIntervalMs: 100,
  });
  projections.start();
  const worker = runWorker({
    kinds: ['augment'],
    handlers: { augment: augmentationJobHandler(dependencies) },
    db: dependencies.db,
    pollMs: 100,
    maxFailures: 1,
    ...(options.log ? { log: options.log } : {}),
  });
  const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);
  try {
    for (;;) {
      const result = await augmentationResult(dependencies.store, datasetId, augmentationId);
      if (result) return result;
      if (Date.now() > deadline) {
        throw new Error(
          `augmentation ${augmentationId} did not finish within ${options.timeoutMs ?? 600_000} ms; it stays queued for a worker`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await worker.stop();
    await projections.stop();
  }
}
