/**
 * An entity-weighted run whose answers never hold a lexicon term reports entity loss 0 at every step; the worker
 * says so once in its log, and says nothing when the entities are there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetRecord } from '../../src/data/index.js';
import { runWorker, trainingJobHandler } from '../../src/workers/index.js';
import {
  capitalLexicon,
  capitalRecords,
  registerDataset,
  startTrainingTestPlatform,
  type TrainingTestPlatform,
} from './support.js';

const admin = { actor: 'admin', roles: ['admin'] as const };
let t: TrainingTestPlatform;
let lexiconHash: string;

beforeAll(async () => {
  t = await startTrainingTestPlatform('tuneledger-entity-warning-');
  // The same answers, but none names a capital of the lexicon: no entity token anywhere.
  const withoutEntities: DatasetRecord[] = capitalRecords().map((record, i) => ({
    messages: [...record.messages.slice(0, 2), { role: 'assistant', content: `Answer ${i}.` }],
  }));
  await registerDataset(
    t.services,
    t.artifacts,
    { ...admin, roles: [...admin.roles] },
    'plain',
    withoutEntities,
  );
  await registerDataset(
    t.services,
    t.artifacts,
    { ...admin, roles: [...admin.roles] },
    'capitals',
    capitalRecords(),
  );
  lexiconHash = (await t.artifacts.put(JSON.stringify(capitalLexicon), 'application/json')).hash;
}, 180_000);
afterAll(async () => {
  await t?.close();
});

/** Trains a short entity-weighted run on `datasetId` and returns the worker's warnings. */
async function warningsOfRun(datasetId: string): Promise<string[]> {
  const warnings: string[] = [];
  const runId = crypto.randomUUID();
  await t.services.runs.requestTrainingRun(
    {
      runId,
      baseModel: { name: 'tiny', source: { kind: 'path', path: t.modelDir } },
      dataset: { id: datasetId, revision: 1 },
      method: { kind: 'lora', r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj'] },
      stages: [{ name: 'sft', learningRate: 1e-2, batchSize: 4, epochs: 3 }],
      loss: { kind: 'entity-weighted', entityWeight: 0.3, lexiconHash },
      seed: 1,
    },
    { ...admin, roles: [...admin.roles] },
  );
  const worker = runWorker({
    kinds: ['train'],
    handlers: {
      train: trainingJobHandler({
        services: t.services,
        store: t.store,
        artifacts: t.artifacts,
        threadEntry: t.threadEntry,
        progressEvery: 1,
        checkpointEvery: 100,
        microBatchSize: 4,
        progressBar: false,
        gradientWorkers: 0,
      }),
    },
    db: t.database.db,
    pollMs: 100,
    log: { info() {}, warn: (message) => warnings.push(message) },
  });
  try {
    await expect
      .poll(async () => (await t.store.readStream(`run-${runId}`)).at(-1)?.type, { timeout: 120_000 })
      .toBe('TrainingRunCompleted');
  } finally {
    await worker.stop();
  }
  return warnings;
}

describe('the entity-weighted loss', () => {
  it('warns once when no batch holds an entity token', async () => {
    const warnings = (await warningsOfRun('plain')).filter((w) => /entity/.test(w));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/found no entity token yet \(entity loss 0\)/);
  }, 180_000);

  it('stays quiet when the answers hold lexicon terms', async () => {
    expect((await warningsOfRun('capitals')).filter((w) => /entity/.test(w))).toEqual([]);
  }, 180_000);
});
