import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DomainError, runStream } from '../../src/domain/index.js';
import { PostgresEventStore, type EventStore } from '../../src/eventstore/index.js';
import {
  createServices,
  manualClock,
  sequentialIds,
  type CommandContext,
  type Services,
  type TrainingRunRequestInput,
} from '../../src/services/index.js';
import { hash } from '../domain/support.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { writeModelDirectory } from '../support/modelDirectory.js';

const ana: CommandContext = { actor: 'ana' };
const baseModelPath = writeModelDirectory();

const revision = (seed: string, trainRecords: number) => ({
  contentHash: hash(seed),
  recordCount: trainRecords,
  byteSize: 100,
  splits: { train: { hash: hash(`${seed}t`), recordCount: trainRecords, byteSize: 100 } },
  transform: { kind: 'ingest' as const, params: {} },
  piiReport: { counts: {} },
  qualityReport: { rejected: [] },
});

/** The smallest request there is: a base model and a dataset revision. */
const minimal: TrainingRunRequestInput = {
  runId: 'run-1',
  baseModel: { name: 'tiny', source: { kind: 'path', path: baseModelPath } },
  dataset: { id: 'med', revision: 1 },
};

for (const target of databaseTargets) {
  describe(`training run requests through the service on ${target.name}`, () => {
    let database: TestDatabase;
    let store: EventStore;
    let services: Services;

    beforeAll(async () => {
      database = await target.open();
    });
    afterAll(() => database.close());
    beforeEach(async () => {
      await database.reset();
      store = new PostgresEventStore(database, { pollIntervalMs: 50 });
      services = createServices({
        store,
        clock: manualClock('2026-03-01T10:00:00.000Z'),
        ids: sequentialIds('x'),
      });
      await services.datasets.registerDataset(
        { datasetId: 'med', name: 'Medical QA', format: 'alpaca' },
        ana,
      );
      await services.datasets.addRevision({ datasetId: 'med', ...revision('a', 100) }, ana);
    });

    /** The request is refused with `code` (and `field` when given), and nothing lands in the run's stream. */
    async function refused(request: TrainingRunRequestInput, code: string, field?: string, using = services) {
      const error = await using.runs.requestTrainingRun(request, ana).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe(code);
      if (field) expect((error as DomainError).details['field']).toBe(field);
      expect(await store.readStream(runStream(request.runId!))).toEqual([]);
      return error as DomainError;
    }

    it("records a minimal request with the founding guide's LoRA, stages, loss and seed resolved", async () => {
      await services.runs.requestTrainingRun(minimal, ana);
      const [requested] = await store.readStream(runStream('run-1'));
      expect(requested!.type).toBe('TrainingRunRequested');
      const data = requested!.data as Record<string, unknown>;
      expect(data['method']).toEqual({
        kind: 'lora',
        r: 16,
        alpha: 32,
        dropout: 0.05,
        targetModules: ['q_proj', 'v_proj'],
      });
      expect(data['stages']).toEqual([
        { name: 'general', datasetFilter: 'all', learningRate: 1e-5, batchSize: 32, epochs: 1 },
        { name: 'domain', datasetFilter: 'domain', learningRate: 5e-6, batchSize: 16, epochs: 1 },
        {
          name: 'robustness',
          datasetFilter: 'all',
          learningRate: 5e-6,
          batchSize: 16,
          epochs: 1,
          noise: 0.05,
        },
      ]);
      expect(data['loss']).toEqual({ kind: 'cross-entropy' });
      expect(data['seed']).toBe(0);
    });

    it('takes the default dropout when a LoRA method leaves it out', async () => {
      await services.runs.requestTrainingRun(
        { ...minimal, method: { kind: 'lora', r: 4, alpha: 8, targetModules: ['q_proj'] } },
        ana,
      );
      const [requested] = await store.readStream(runStream('run-1'));
      expect((requested!.data as { method: unknown }).method).toEqual({
        kind: 'lora',
        r: 4,
        alpha: 8,
        dropout: 0.05,
        targetModules: ['q_proj'],
      });
    });

    it('refuses what issue 14 saw recorded, before anything is recorded', async () => {
      const stage = { name: 'sft', learningRate: 1e-4, batchSize: 8, epochs: 1 };
      await refused(
        { ...minimal, stages: [{ ...stage, learningRate: 1e308 }] },
        'TRAINING_PARAMETER_OUT_OF_BOUNDS',
        'stages[0].learningRate',
      );
      await refused(
        { ...minimal, stages: [{ ...stage, batchSize: 1e9 }] },
        'TRAINING_PARAMETER_OUT_OF_BOUNDS',
        'stages[0].batchSize',
      );
      await refused(
        { ...minimal, stages: [{ ...stage, epochs: 1e9 }] },
        'TRAINING_PARAMETER_OUT_OF_BOUNDS',
        'stages[0].epochs',
      );
      await refused(
        { ...minimal, stages: Array.from({ length: 10_000 }, () => stage) },
        'TRAINING_PARAMETER_OUT_OF_BOUNDS',
        'stages',
      );
      const r = await refused(
        { ...minimal, method: { kind: 'lora', r: 1e6 } },
        'TRAINING_PARAMETER_OUT_OF_BOUNDS',
        'method.r',
      );
      expect(r.message).toContain("the base model's hidden size is 64");
      const modules = await refused(
        { ...minimal, method: { kind: 'lora', targetModules: ['evil_proj'] } },
        'TRAINING_PARAMETER_OUT_OF_BOUNDS',
        'method.targetModules',
      );
      expect(modules.message).toContain('q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj');
      const etc = await refused(
        { ...minimal, baseModel: { name: 'etc', source: { kind: 'path', path: '/etc' } } },
        'BASE_MODEL_UNUSABLE',
        'baseModel.source',
      );
      expect(etc.message).toContain('/etc has no readable config.json');
      await services.datasets.addRevision({ datasetId: 'med', ...revision('empty', 0) }, ana);
      await refused(
        { ...minimal, dataset: { id: 'med', revision: 2 } },
        'DATASET_REVISION_EMPTY',
        'dataset.revision',
      );
    });

    it('checks the memory estimate against the largest device a registered worker reports', async () => {
      const small = createServices({
        store,
        clock: manualClock('2026-03-01T10:00:00.000Z'),
        ids: sequentialIds('y'),
        largestWorkerDevice: async () => 1024 * 1024,
      });
      const error = await refused(minimal, 'TRAINING_MEMORY_EXCEEDS_DEVICE', 'method', small);
      expect(error.message).toContain('memoryEstimate');
      const large = createServices({
        store,
        clock: manualClock('2026-03-01T10:00:00.000Z'),
        ids: sequentialIds('z'),
        largestWorkerDevice: async () => 80 * 1024 ** 3,
      });
      await large.runs.requestTrainingRun(minimal, ana);
      expect(await store.readStream(runStream('run-1'))).toHaveLength(1);
    });
  });
}
