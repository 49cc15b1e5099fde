import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DomainError,
  datasetStream,
  modelStream,
  runStream,
  type TrainingMethod,
} from '../../src/domain/index.js';
import { PostgresEventStore, type EventStore } from '../../src/eventstore/index.js';
import {
  ConcurrencyConflictError,
  causedBy,
  createServices,
  deterministicEventId,
  manualClock,
  sequentialIds,
  type CommandContext,
  type Services,
} from '../../src/services/index.js';
import { hash } from '../domain/support.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';

const ana: CommandContext = { actor: 'ana' };
const admin: CommandContext = { actor: 'root', roles: ['admin'] };
const worker: CommandContext = { actor: 'worker-1', roles: ['worker'] };

const revision = (seed: string, recordCount = 100) => ({
  contentHash: hash(seed),
  recordCount,
  byteSize: recordCount * 40,
  splits: { train: { hash: hash(`${seed}t`), recordCount, byteSize: recordCount * 40 } },
  transform: { kind: 'ingest' as const, params: {} },
  piiReport: { counts: {} },
  qualityReport: { rejected: [] },
});

const lora: TrainingMethod = { kind: 'lora', r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj'] };

for (const target of databaseTargets) {
  describe(`application services on ${target.name}`, () => {
    let database: TestDatabase;
    let store: EventStore;
    let services: Services;
    let clock: ReturnType<typeof manualClock>;

    beforeAll(async () => {
      database = await target.open();
    });
    afterAll(() => database.close());
    beforeEach(async () => {
      await database.reset();
      store = new PostgresEventStore(database, { pollIntervalMs: 50 });
      clock = manualClock('2026-03-01T10:00:00.000Z');
      services = createServices({ store, clock, ids: sequentialIds('x'), baseModelCheck: async () => true });
    });

    async function datasetWithRevision(datasetId = 'med', format: 'alpaca' | 'preference' = 'alpaca') {
      await services.datasets.registerDataset({ datasetId, name: 'Medical QA', format }, ana);
      await services.datasets.addRevision({ datasetId, ...revision('a') }, ana);
    }

    async function completedRun(runId: string) {
      await services.runs.requestTrainingRun(
        {
          runId,
          baseModel: { name: 'tiny', source: { kind: 'path', path: '/models/tiny' } },
          dataset: { id: 'med', revision: 1 },
          method: lora,
          stages: [{ name: 'sft', learningRate: 1e-3, batchSize: 2, epochs: 1 }],
          loss: { kind: 'cross-entropy' },
          seed: 1,
        },
        ana,
      );
      await services.runs.claimRun(
        { runId, workerId: 'w1', leaseMs: 60_000, backend: { name: 'cpu', device: 'cpu' } },
        worker,
      );
      await services.runs.startStage({ runId, workerId: 'w1', stageIndex: 0, steps: 4 }, worker);
      await services.runs.completeRun(
        {
          runId,
          workerId: 'w1',
          artifact: { kind: 'adapter', hash: hash(runId), byteSize: 10 },
          finalLoss: 0.5,
          steps: 0,
          durationMs: 10,
          tokensSeen: 100,
        },
        worker,
      );
    }

    it('runs the lifecycle: dataset, run, model version, evaluation, promotion, deployment, feedback, rollback', async () => {
      await datasetWithRevision();
      const { runId, events: requested } = await services.runs.requestTrainingRun(
        {
          baseModel: { name: 'tiny', source: { kind: 'path', path: '/models/tiny' } },
          dataset: { id: 'med', revision: 1 },
          method: lora,
          stages: [{ name: 'sft', learningRate: 1e-3, batchSize: 2, epochs: 1 }],
          loss: { kind: 'cross-entropy' },
          seed: 7,
        },
        { actor: 'ana', correlationId: '0195a000-0000-7000-8000-000000000001' },
      );
      expect(runId).toBe('x-1');
      expect(requested[0]!.data).toMatchObject({
        dataset: { id: 'med', revision: 1, contentHash: hash('a') },
      });

      // The worker continues the flow: its events share the request's correlation and name it as cause.
      const flow = causedBy(requested[0]!, 'worker-1');
      await services.runs.claimRun(
        { runId, workerId: 'w1', leaseMs: 60_000, backend: { name: 'cpu', device: 'cpu' } },
        flow,
      );
      await services.runs.startStage({ runId, workerId: 'w1', stageIndex: 0, steps: 2 }, flow);
      for (const step of [1, 2]) {
        clock.advance(1000);
        await services.runs.reportProgress(
          {
            runId,
            workerId: 'w1',
            step,
            totalSteps: 2,
            stageIndex: 0,
            epoch: step / 2,
            loss: 1 / step,
            learningRate: 1e-3,
            gradNorm: 1,
            tokensPerSecond: 50,
            elapsedMs: step * 1000,
            etaMs: (2 - step) * 1000,
          },
          flow,
        );
      }
      await services.runs.saveCheckpoint(
        { runId, workerId: 'w1', step: 2, artifactHash: hash('ck'), byteSize: 5 },
        flow,
      );
      await services.runs.completeRun(
        {
          runId,
          workerId: 'w1',
          artifact: { kind: 'adapter', hash: hash('adapter'), byteSize: 9 },
          finalLoss: 0.5,
          steps: 2,
          durationMs: 2000,
          tokensSeen: 100,
        },
        flow,
      );
      const runEvents = await store.readStream(runStream(runId));
      expect(runEvents.map((event) => event.type)).toEqual([
        'TrainingRunRequested',
        'TrainingRunClaimed',
        'TrainingStageStarted',
        'TrainingProgressReported',
        'TrainingProgressReported',
        'CheckpointSaved',
        'TrainingRunCompleted',
      ]);
      for (const event of runEvents)
        expect(event.metadata.correlationId).toBe('0195a000-0000-7000-8000-000000000001');
      expect(runEvents.slice(1).every((event) => event.metadata.causationId === requested[0]!.eventId)).toBe(
        true,
      );
      expect(runEvents[1]!.data).toMatchObject({ leaseUntil: '2026-03-01T10:01:00.000Z', attempt: 1 });

      const { modelVersion } = await services.models.registerModelVersion(
        { modelName: 'med-llama', runId },
        ana,
      );
      expect(modelVersion).toBe(1);
      const model = await store.readStream(modelStream('med-llama'));
      expect(model[0]!.data).toMatchObject({
        artifacts: { adapter: hash('adapter') },
        trainingSummary: { datasetId: 'med', datasetRevision: 1, method: 'lora', finalLoss: 0.5, steps: 2 },
      });

      await expect(
        services.models.promote({ modelName: 'med-llama', version: 1, stage: 'production' }, ana),
      ).rejects.toMatchObject({ code: 'PROMOTION_NEEDS_PASSED_EVALUATION' });

      const { evaluationId } = await services.evaluations.requestEvaluation(
        {
          model: { name: 'med-llama', version: 1 },
          dataset: { id: 'med', revision: 1 },
          suites: ['f1'],
          gate: [{ metric: 'f1', op: 'gte', value: 0.6 }],
        },
        ana,
      );
      await services.evaluations.claimEvaluation({ evaluationId, workerId: 'w2', leaseMs: 60_000 }, worker);
      await services.evaluations.reportProgress(
        { evaluationId, workerId: 'w2', completedExamples: 5, totalExamples: 10 },
        worker,
      );
      const completed = await services.evaluations.completeEvaluation(
        { evaluationId, workerId: 'w2', metrics: { f1: 0.72 } },
        worker,
      );
      expect(completed.events[0]!.data).toMatchObject({ gate: { passed: true, failures: [] } });

      const promoted = await services.models.promote(
        { modelName: 'med-llama', version: 1, stage: 'production', evaluationIds: [evaluationId] },
        ana,
      );
      expect(promoted.events[0]!.data).toMatchObject({
        approvedBy: 'ana',
        evidence: { evaluationIds: [evaluationId] },
      });

      await services.deployments.requestDeployment(
        { deploymentName: 'prod', model: { name: 'med-llama', version: 1 }, environment: 'production' },
        ana,
      );
      await services.deployments.activate(
        { deploymentName: 'prod', endpoint: 'http://127.0.0.1:8080/v1' },
        ana,
      );
      expect((await services.deployments.getDeployment('prod')).active?.model).toEqual({
        name: 'med-llama',
        version: 1,
      });

      const { interactionId } = await services.feedback.recordInteraction(
        {
          model: { name: 'med-llama', version: 1 },
          prompt: 'dose?',
          response: 'ask',
          latencyMs: 12,
          tokens: { prompt: 2, completion: 1 },
        },
        { actor: 'serving' },
      );
      const labeled = await services.feedback.labelFeedback(
        { interactionId, label: { kind: 'thumbs', up: false } },
        ana,
      );
      expect(labeled.events[0]!.data).toMatchObject({ labeler: 'ana' });
      const { promptId, candidateIds } = await services.feedback.generateCandidates(
        { prompt: 'explain', candidates: [{ text: 'a' }, { text: 'b' }, { text: 'c' }] },
        { actor: 'generator' },
      );
      // Rankings and corrections teach the model: they need a labeler (or engineer, or admin) role.
      await expect(
        services.feedback.rankPreference({ promptId, ranking: [...candidateIds].reverse() }, ana),
      ).rejects.toMatchObject({ code: 'LABELER_ROLE_NOT_ALLOWED' });
      await expect(
        services.feedback.labelFeedback(
          { interactionId, label: { kind: 'correction', text: 'ask a doctor' } },
          ana,
        ),
      ).rejects.toMatchObject({ code: 'LABELER_ROLE_NOT_ALLOWED' });
      const labeler: CommandContext = { actor: 'ana', roles: ['labeler'] };
      const ranked = await services.feedback.rankPreference(
        { promptId, ranking: [...candidateIds].reverse() },
        labeler,
      );
      expect(ranked.events[0]!.data).toMatchObject({ labeler: 'ana', labelerRole: 'labeler' });
      await expect(
        services.feedback.rankPreference({ promptId, ranking: candidateIds.slice(1) }, admin),
      ).rejects.toMatchObject({
        code: 'RANKING_NOT_PERMUTATION',
      });

      // A second version goes live; a degradation past the policy rolls back to v1.
      await completedRun('r2');
      await services.models.registerModelVersion({ modelName: 'med-llama', runId: 'r2' }, ana);
      await services.deployments.requestDeployment(
        { deploymentName: 'prod', model: { name: 'med-llama', version: 2 }, environment: 'production' },
        ana,
      );
      await services.deployments.activate(
        { deploymentName: 'prod', endpoint: 'http://127.0.0.1:8080/v1' },
        ana,
      );
      const degraded = await services.deployments.detectDegradation(
        {
          deploymentName: 'prod',
          metric: 'error-rate',
          baseline: 0.02,
          current: 0.08,
          window: { from: '2026-03-01T09:00:00.000Z', to: '2026-03-01T10:00:00.000Z', samples: 500 },
          policy: { maxChangePct: 50 },
        },
        { actor: 'monitor' },
      );
      expect(degraded.events.map((event) => event.type)).toEqual([
        'DegradationDetected',
        'RollbackRequested',
      ]);
      const rollback = degraded.events[1]!.data as { rollbackId: string; toVersion: number; trigger: string };
      expect(rollback).toMatchObject({ toVersion: 1, trigger: 'policy' });
      await services.deployments.rolledBack(
        { deploymentName: 'prod', rollbackId: rollback.rollbackId },
        { actor: 'serving' },
      );
      expect((await services.deployments.getDeployment('prod')).active?.model.version).toBe(1);
    });

    it('checks the dataset revision in its own stream before requesting a run', async () => {
      const request = {
        baseModel: { name: 'tiny', source: { kind: 'path' as const, path: '/models/tiny' } },
        dataset: { id: 'med', revision: 2 },
        method: lora,
        stages: [{ name: 'sft', learningRate: 1e-3, batchSize: 2, epochs: 1 }],
        loss: { kind: 'cross-entropy' as const },
        seed: 1,
      };
      await expect(services.runs.requestTrainingRun(request, ana)).rejects.toMatchObject({
        code: 'DATASET_NOT_FOUND',
      });
      await datasetWithRevision();
      await expect(services.runs.requestTrainingRun(request, ana)).rejects.toMatchObject({
        code: 'DATASET_REVISION_NOT_FOUND',
      });
      await expect(
        services.runs.requestTrainingRun(
          {
            ...request,
            dataset: { id: 'med', revision: 1 },
            method: { kind: 'dpo', beta: 0.1, parameters: { kind: 'full' } },
          },
          ana,
        ),
      ).rejects.toMatchObject({ code: 'METHOD_NEEDS_PREFERENCE_DATASET' });
      const noModel = createServices({
        store,
        clock,
        ids: sequentialIds('y'),
        baseModelCheck: async () => false,
      });
      await expect(
        noModel.runs.requestTrainingRun({ ...request, dataset: { id: 'med', revision: 1 } }, ana),
      ).rejects.toMatchObject({
        code: 'BASE_MODEL_NOT_FOUND',
      });
      const ready = { ...request, dataset: { id: 'med', revision: 1 } };
      await expect(
        services.runs.requestTrainingRun(
          {
            ...ready,
            baseModel: {
              name: 'prev',
              source: { kind: 'registry', model: { name: 'med-llama', version: 1 } },
            },
          },
          ana,
        ),
      ).rejects.toMatchObject({ code: 'BASE_MODEL_NOT_FOUND' });
      await expect(
        services.runs.requestTrainingRun(
          {
            ...ready,
            method: {
              kind: 'ppo',
              parameters: { kind: 'full' },
              rewardModel: { name: 'rm', version: 1 },
              klCoefficient: 0.1,
              clipRange: 0.2,
              rolloutsPerStep: 2,
            },
          },
          ana,
        ),
      ).rejects.toMatchObject({ code: 'MODEL_VERSION_NOT_FOUND' });
      expect(await store.readStream(runStream('x-1'))).toEqual([]);
    });

    it('appends nothing twice for a retried command with the same idempotency key', async () => {
      await services.datasets.registerDataset(
        { datasetId: 'med', name: 'Medical QA', format: 'alpaca' },
        ana,
      );
      const context = { ...ana, idempotencyKey: 'mutation-42' };
      const first = await services.datasets.addRevision({ datasetId: 'med', ...revision('a') }, context);
      const again = await services.datasets.addRevision({ datasetId: 'med', ...revision('a') }, context);
      expect(first.replayed).toBe(false);
      expect(again.replayed).toBe(true);
      expect(again.events.map((event) => event.eventId)).toEqual(first.events.map((event) => event.eventId));
      expect(first.events[0]!.eventId).toBe(deterministicEventId('mutation-42', datasetStream('med'), 0));
      const stream = await store.readStream(datasetStream('med'));
      expect(stream.map((event) => event.type)).toEqual(['DatasetRegistered', 'DatasetRevisionAdded']);
      // A generated id comes from the key too, so a retried create finds its own stream.
      const created = await services.datasets.registerDataset(
        { name: 'Law QA', format: 'alpaca' },
        { ...ana, idempotencyKey: 'create-7' },
      );
      const retried = await services.datasets.registerDataset(
        { name: 'Law QA', format: 'alpaca' },
        { ...ana, idempotencyKey: 'create-7' },
      );
      expect(retried.datasetId).toBe(created.datasetId);
      expect(retried.replayed).toBe(true);
      expect(await store.readStream(datasetStream(created.datasetId))).toHaveLength(1);
      // A new key is a new command.
      await services.datasets.addRevision(
        { datasetId: 'med', ...revision('b') },
        { ...ana, idempotencyKey: 'mutation-43' },
      );
      expect((await services.datasets.getDataset('med')).revisions.size).toBe(2);
    });

    it('retries on a version conflict, within a bound', async () => {
      await services.datasets.registerDataset(
        { datasetId: 'med', name: 'Medical QA', format: 'alpaca' },
        ana,
      );
      const results = await Promise.all(
        ['a', 'b', 'c'].map((seed) =>
          services.datasets.addRevision({ datasetId: 'med', ...revision(seed) }, ana),
        ),
      );
      const numbers = results
        .map((result) => (result.events[0]!.data as { revision: number }).revision)
        .sort();
      expect(numbers).toEqual([1, 2, 3]);

      // A competing writer that gets in between our read and our append, `rivalAppends` times.
      const contested = (rivalAppends: number, maxRetries: number) => {
        let rivals = 0;
        const racing: EventStore = Object.create(store) as EventStore;
        racing.append = async (streamId, events, expected, context) => {
          if (rivals < rivalAppends) {
            rivals += 1;
            await services.datasets.addRevision(
              { datasetId: 'med', ...revision(`rival${rivals}`) },
              { actor: 'rival' },
            );
          }
          return store.append(streamId, events, expected, context);
        };
        return createServices({ store: racing, clock, ids: sequentialIds('z'), maxRetries });
      };
      const revisionNumbers = async (seed: string) =>
        (await store.readStream(datasetStream('med')))
          .filter((event) => (event.data as { contentHash?: string }).contentHash === hash(seed))
          .map((event) => (event.data as { revision: number }).revision);

      // Two rivals, two retries: the third decision sees revision 5 and appends 6.
      const won = await contested(2, 2).datasets.addRevision({ datasetId: 'med', ...revision('d') }, ana);
      expect((won.events[0]!.data as { revision: number }).revision).toBe(6);
      expect(await revisionNumbers('d')).toEqual([6]);

      // Three rivals, two retries: refused, and nothing of ours was appended.
      await expect(
        contested(3, 2).datasets.addRevision({ datasetId: 'med', ...revision('e') }, ana),
      ).rejects.toBeInstanceOf(ConcurrencyConflictError);
      expect(await revisionNumbers('e')).toEqual([]);
      expect((await services.datasets.getDataset('med')).revisions.size).toBe(9);
    });

    it('redacts every free-text field before the log, whoever sends it, and keeps exact text as given', async () => {
      const email = 'li.na@example.com';
      const phone = '13812345678';
      // Ids and names marked exact stay byte for byte, even where they look like PII.
      const interactionId = `i-${phone}`;
      await services.feedback.recordInteractions([
        {
          input: {
            interactionId,
            deploymentName: 'prod',
            model: { name: 'med-llama', version: 1 },
            prompt: `user: mail ${email}`,
            response: `call ${phone}`,
            latencyMs: 1,
            tokens: { prompt: 1, completion: 1 },
          },
          context: { actor: 'serving' },
        },
      ]);
      await services.feedback.labelFeedback(
        { interactionId, label: { kind: 'correction', text: `Write to ${email}.` } },
        { actor: 'ana', roles: ['labeler'] },
      );
      await services.feedback.labelFeedback(
        { interactionId, label: { kind: 'error-category', category: `leaked ${phone}` } },
        worker,
      );
      await services.datasets.registerDataset(
        { datasetId: 'med', name: `QA of ${email}`, description: `ask ${phone}`, format: 'alpaca' },
        ana,
      );
      await services.datasets.archiveDataset({ datasetId: 'med', reason: `asked by ${email}` }, ana);

      const interaction = await store.readStream(`interaction-${interactionId}`);
      expect(interaction.map((event) => event.data)).toMatchObject([
        { interactionId, deploymentName: 'prod', prompt: 'user: mail [EMAIL]', response: 'call [PHONE]' },
        { interactionId, label: { kind: 'correction', text: 'Write to [EMAIL].' }, labelerRole: 'labeler' },
        { interactionId, label: { kind: 'error-category', category: 'leaked [PHONE]' } },
      ]);
      const dataset = await store.readStream(datasetStream('med'));
      expect(dataset.map((event) => event.data)).toMatchObject([
        { datasetId: 'med', name: 'QA of [EMAIL]', description: 'ask [PHONE]' },
        { datasetId: 'med', reason: 'asked by [EMAIL]' },
      ]);
    });

    it('validates payloads against the registry before appending', async () => {
      await expect(
        services.datasets.registerDataset({ datasetId: 'med', name: '   ', format: 'alpaca' }, ana),
      ).rejects.toSatisfy(
        (error: unknown) =>
          error instanceof DomainError && error.code === 'EVENT_SCHEMA_INVALID' && /name/.test(error.message),
      );
      expect(await store.readStream(datasetStream('med'))).toEqual([]);
    });

    it('upcasts old events on read: a v1 DatasetRegistered still takes revisions', async () => {
      await store.append(
        datasetStream('legacy'),
        [
          {
            type: 'DatasetRegistered',
            schemaVersion: 1,
            data: {
              datasetId: 'legacy',
              name: 'Old',
              description: '',
              format: 'alpaca',
              tags: [],
              registeredAt: '2025-01-01T00:00:00.000Z',
            },
          },
        ],
        'no_stream',
        { actor: 'import' },
      );
      await services.datasets.addRevision({ datasetId: 'legacy', ...revision('a') }, ana);
      const state = await services.datasets.getDataset('legacy');
      expect(state.status).toBe('active');
      expect(state.revisions.get(1)?.contentHash).toBe(hash('a'));
      const stored = await store.readStream(datasetStream('legacy'));
      expect(stored[0]!.schemaVersion).toBe(1);
      expect(stored[1]!.schemaVersion).toBe(1);
    });

    it('keeps the last three versions and refuses overrides from non-admins', async () => {
      await datasetWithRevision();
      for (const runId of ['r1', 'r2', 'r3', 'r4']) {
        await completedRun(runId);
        await services.models.registerModelVersion({ modelName: 'm', runId }, ana);
      }
      const model = await services.models.getModel('m');
      expect(model.versions.map((version) => [version.version, version.archived])).toEqual([
        [1, true],
        [2, false],
        [3, false],
        [4, false],
      ]);
      await expect(
        services.models.promote(
          { modelName: 'm', version: 4, stage: 'production', overrideReason: 'urgent' },
          ana,
        ),
      ).rejects.toMatchObject({ code: 'OVERRIDE_REQUIRES_ADMIN' });
      const promoted = await services.models.promote(
        { modelName: 'm', version: 4, stage: 'production', overrideReason: 'urgent' },
        admin,
      );
      expect(promoted.events[0]!.data).toMatchObject({ override: { reason: 'urgent' }, approvedBy: 'root' });
      await expect(
        services.models.registerModelVersion({ modelName: 'm', runId: 'nope' }, ana),
      ).rejects.toMatchObject({
        code: 'RUN_NOT_FOUND',
      });
    });

    it('lets another worker take over a run whose lease expired, from the last checkpoint', async () => {
      await datasetWithRevision();
      await services.runs.requestTrainingRun(
        {
          runId: 'r1',
          baseModel: { name: 'tiny', source: { kind: 'path', path: '/models/tiny' } },
          dataset: { id: 'med', revision: 1 },
          method: lora,
          stages: [{ name: 'sft', learningRate: 1e-3, batchSize: 2, epochs: 1 }],
          loss: { kind: 'cross-entropy' },
          seed: 1,
        },
        ana,
      );
      const backend = { name: 'cpu', device: 'cpu' };
      await services.runs.claimRun({ runId: 'r1', workerId: 'w1', leaseMs: 30_000, backend }, worker);
      await services.runs.startStage({ runId: 'r1', workerId: 'w1', stageIndex: 0, steps: 10 }, worker);
      const progress = (step: number, workerId: string) => ({
        runId: 'r1',
        workerId,
        step,
        totalSteps: 10,
        stageIndex: 0,
        epoch: 0,
        loss: 1,
        learningRate: 1e-3,
        gradNorm: 1,
        tokensPerSecond: 1,
        elapsedMs: 1,
        etaMs: 1,
      });
      await services.runs.reportProgress(progress(4, 'w1'), worker);
      await services.runs.saveCheckpoint(
        { runId: 'r1', workerId: 'w1', step: 4, artifactHash: hash('ck4'), byteSize: 1 },
        worker,
      );
      await services.runs.reportProgress(progress(5, 'w1'), worker);
      await expect(
        services.runs.claimRun({ runId: 'r1', workerId: 'w2', leaseMs: 30_000, backend }, worker),
      ).rejects.toMatchObject({ code: 'RUN_ALREADY_CLAIMED' });
      clock.advance(31_000);
      await expect(services.runs.reportProgress(progress(6, 'w1'), worker)).rejects.toMatchObject({
        code: 'RUN_LEASE_EXPIRED',
      });
      const taken = await services.runs.claimRun(
        { runId: 'r1', workerId: 'w2', leaseMs: 30_000, backend },
        worker,
      );
      expect(taken.events.map((event) => event.type)).toEqual([
        'TrainingRunLeaseExpired',
        'TrainingRunClaimed',
      ]);
      expect(taken.events[1]!.data).toMatchObject({
        attempt: 2,
        resumeFrom: { step: 4, artifactHash: hash('ck4') },
      });
      await services.runs.reportProgress(progress(5, 'w2'), worker);
      expect(await services.runs.getRun('r1')).toMatchObject({ status: 'claimed', lastStep: 5 });
    });
  });
}
