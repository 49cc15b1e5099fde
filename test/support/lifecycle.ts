/**
 * Lifecycle facts tests need as a starting point, written through the services as the platform writes them:
 * a dataset with one revision (train and eval splits), training runs requested and completed.
 */
import type { Kysely } from 'kysely';
import { appendLifecycle, type LifecycleAppend } from '../../bench/projections.js';
import type { EventStore } from '../../src/eventstore/index.js';
import { allProjections, ProjectionRunner } from '../../src/projections/index.js';
import type { CommandContext, Services } from '../../src/services/index.js';
import { hash } from '../domain/support.js';

/** Registers `datasetId` (alpaca) with revision 1 of `recordCount` records; its content hash is hash(datasetId). */
export async function datasetWithRevision(
  services: Services,
  datasetId: string,
  context: CommandContext,
  recordCount = 4,
): Promise<void> {
  const split = { hash: hash(datasetId), recordCount, byteSize: 100 };
  await services.datasets.registerDataset(
    { datasetId, name: datasetId.toUpperCase(), format: 'alpaca' },
    context,
  );
  await services.datasets.addRevision(
    {
      datasetId,
      contentHash: hash(datasetId),
      recordCount,
      byteSize: 100,
      splits: { train: split, eval: split },
      transform: { kind: 'ingest', params: {} },
      piiReport: { counts: {} },
      qualityReport: { rejected: [] },
    },
    context,
  );
}

/** Requests a small LoRA run `runId` on revision 1 of `datasetId`. */
export async function requestRun(
  services: Services,
  runId: string,
  datasetId: string,
  context: CommandContext,
): Promise<void> {
  await services.runs.requestTrainingRun(
    {
      runId,
      baseModel: { name: 'tiny', source: { kind: 'path', path: '/models/tiny' } },
      dataset: { id: datasetId, revision: 1 },
      method: { kind: 'lora', r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj'] },
      stages: [{ name: 'sft', learningRate: 1e-3, batchSize: 2, epochs: 1 }],
      loss: { kind: 'cross-entropy' },
      seed: 1,
    },
    context,
  );
}

/** Claims and completes a requested run as `worker` (its actor is the worker id), with an adapter artifact. */
export async function completeRun(
  services: Services,
  runId: string,
  worker: CommandContext,
  adapterHash = hash('adapter'),
): Promise<void> {
  await services.runs.claimRun(
    { runId, workerId: worker.actor, leaseMs: 60_000, backend: { name: 'cpu', device: 'cpu' } },
    worker,
  );
  await services.runs.completeRun(
    {
      runId,
      workerId: worker.actor,
      artifact: { kind: 'adapter', hash: adapterHash, byteSize: 10 },
      finalLoss: 0.5,
      steps: 1,
      durationMs: 10,
      tokensSeen: 10,
    },
    worker,
  );
}

/**
 * Appends a generated lifecycle (bench/projections.ts) and projects it with a runner that keeps
 * running (stop it after the tests). Waits for the last appended event rather than catchUp(): on a
 * shared PostgreSQL server another session's open transaction can hold back what one pass sees.
 */
export async function projectedLifecycle(
  database: { readonly db: Kysely<unknown> },
  store: EventStore,
  appends: readonly LifecycleAppend[],
): Promise<ProjectionRunner> {
  await appendLifecycle(store, appends);
  const runner = new ProjectionRunner({ db: database.db, store, projections: allProjections });
  runner.start();
  const last = await store.readStream(appends.at(-1)!.streamId);
  await runner.waitFor(last.at(-1)!.checkpoint, { timeoutMs: 60_000 });
  return runner;
}
