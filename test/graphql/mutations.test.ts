import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allProjections, ProjectionRunner } from '../../src/projections/index.js';
import { createServices, systemClock, uuidIds, type Services } from '../../src/services/index.js';
import { countEvents, databaseTargets, type TestDatabase } from '../support/databases.js';
import { writeModelDirectory } from '../support/modelDirectory.js';
import { collect, startHarness, type Harness } from './harness.js';

type Payload = {
  id: string;
  replayed: boolean;
  eventTypes: string[];
  checkpoint: string | null;
  run?: { runId: string; status: string; datasetId: string } | null;
  userErrors?: { code: string; kind: string; field: string[] | null; message: string }[];
};
type Errors = { message: string; extensions?: { code?: string } }[] | undefined;

const revision = {
  contentHash: 'a'.repeat(64),
  recordCount: 10,
  byteSize: 1000,
  splits: {
    train: { hash: 'b'.repeat(64), recordCount: 9, byteSize: 900 },
    eval: { hash: 'c'.repeat(64), recordCount: 1, byteSize: 100 },
  },
  transform: { kind: 'INGEST', params: {} },
  piiReport: { counts: { email: 1 } },
  qualityReport: { rejected: [] },
};

const baseModelPath = writeModelDirectory();
const runInput = (datasetId: string) => ({
  baseModel: { name: 'tiny-llama', source: { kind: 'PATH', path: baseModelPath } },
  dataset: { id: datasetId, revision: 1 },
  method: { kind: 'LORA', r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj'] },
  stages: [{ name: 'sft', learningRate: 1e-3, batchSize: 2, epochs: 1 }],
  loss: { kind: 'CROSS_ENTROPY' },
  seed: 7,
});

const mutations = {
  registerDataset: `mutation($key: String) { m: registerDataset(name: "qa", format: ALPACA, idempotencyKey: $key) { id replayed eventTypes checkpoint } }`,
  addRevision: `mutation($id: ID!, $input: DatasetRevisionInput!) { m: addDatasetRevision(datasetId: $id, input: $input) { id replayed eventTypes checkpoint } }`,
  requestRun: `mutation($input: TrainingRunRequestInput!, $key: String) { m: requestTrainingRun(input: $input, idempotencyKey: $key) { id replayed eventTypes checkpoint run { runId status datasetId } userErrors { code kind field message } } }`,
  claim: `mutation($id: ID!) { m: claimTrainingRun(runId: $id, backend: "wasm", device: "cpu") { id eventTypes } }`,
  stage: `mutation($id: ID!) { m: startStage(runId: $id, stageIndex: 0, steps: 3) { id eventTypes } }`,
  progress: `mutation($id: ID!, $input: ProgressInput!) { m: reportProgress(runId: $id, input: $input) { id eventTypes } }`,
  complete: `mutation($id: ID!, $input: RunCompletionInput!) { m: completeJob(runId: $id, input: $input) { id eventTypes } }`,
  promote: `mutation { m: promoteModelVersion(modelName: "nope", version: 1, stage: STAGING) { id } }`,
  heartbeat: `mutation($id: ID!) { m: heartbeat(runId: $id) { id } }`,
  recordInteraction: `mutation($input: InteractionInput!) { m: recordInteraction(input: $input) { id } }`,
  label: `mutation($id: ID!, $label: FeedbackLabelInput!) { m: labelFeedback(interactionId: $id, label: $label) { id eventTypes } }`,
  candidates: `mutation($c: [CandidateInput!]!) { m: generateCandidates(prompt: "Capital of France?", candidates: $c) { id } }`,
  rank: `mutation($id: ID!, $r: [ID!]!) { m: rankPreference(promptId: $id, ranking: $r) { id } }`,
};

for (const target of databaseTargets) {
  describe(`GraphQL mutations (${target.name})`, () => {
    let database: TestDatabase;
    let api: Harness;
    let runner: ProjectionRunner;
    let services: Services;

    beforeAll(async () => {
      database = await target.open();
      const { PostgresEventStore } = await import('../../src/eventstore/index.js');
      const store = new PostgresEventStore(database, { pollIntervalMs: 50 });
      runner = new ProjectionRunner({ db: database.db, store, projections: allProjections });
      runner.start();
      services = createServices({ store, clock: systemClock, ids: uuidIds });
      api = await startHarness(database, {
        services,
        projections: runner,
      });
    });
    afterAll(async () => {
      await api?.close();
      await runner?.stop();
      await database?.close();
    });

    const call = async (query: string, variables: Record<string, unknown> = {}, token?: string) => {
      const response = await api.request<{ m: Payload }>(query, variables, token);
      return { payload: response.data?.m, errors: response.errors as Errors };
    };

    it('runs a dataset and a training run through mutations, reading its own writes, with live progress', async () => {
      const dataset = await call(mutations.registerDataset);
      expect(dataset.errors).toBeUndefined();
      const datasetId = dataset.payload!.id;
      // Read-your-writes: the read model has the dataset the moment the mutation returns.
      const read = await api.request<{ dataset: { name: string } | null }>(
        'query($id: ID!) { dataset(datasetId: $id) { name } }',
        { id: datasetId },
      );
      expect(read.data?.dataset?.name).toBe('qa');
      expect((await call(mutations.addRevision, { id: datasetId, input: revision })).errors).toBeUndefined();

      const requested = await call(mutations.requestRun, { input: runInput(datasetId), key: 'run-1' });
      expect(requested.errors).toBeUndefined();
      expect(requested.payload!.eventTypes).toEqual(['TrainingRunRequested']);
      const runId = requested.payload!.id;
      // The payload carries the run it created, as the read model has it after the command.
      expect(requested.payload!.run).toEqual({ runId, status: 'REQUESTED', datasetId });
      expect(requested.payload!.userErrors).toEqual([]);
      // Relay: the run's global id round-trips through node(id:); the dataset's is another type's id.
      const ids = await api.request<{ run: { id: string }; dataset: { id: string } }>(
        'query($run: ID!, $dataset: ID!) { run(runId: $run) { id } dataset(datasetId: $dataset) { id } }',
        { run: runId, dataset: datasetId },
      );
      const runNodeId = ids.data!.run.id;
      expect(runNodeId).not.toBe(runId);
      const nodes = await api.request<{
        run: { __typename: string; runId?: string; id: string } | null;
        dataset: { __typename: string; datasetId?: string } | null;
      }>(
        `query($run: ID!, $dataset: ID!) {
          run: node(id: $run) { __typename id ... on TrainingRun { runId } }
          dataset: node(id: $dataset) { __typename ... on Dataset { datasetId } }
        }`,
        { run: runNodeId, dataset: ids.data!.dataset.id },
      );
      expect(nodes.errors).toBeUndefined();
      expect(nodes.data).toEqual({
        run: { __typename: 'TrainingRun', id: runNodeId, runId },
        dataset: { __typename: 'Dataset', datasetId },
      });
      // totalCount counts the whole filtered list, not the page: one run on this dataset, none on an unknown one.
      const counted = await api.request<{
        mine: { totalCount: number; edges: unknown[] };
        none: { totalCount: number; edges: unknown[] };
      }>(
        `query($d: ID!) {
          mine: runs(datasetId: $d, first: 1) { totalCount edges { cursor } }
          none: runs(datasetId: "no-such-dataset", first: 1) { totalCount edges { cursor } }
        }`,
        { d: datasetId },
      );
      expect(counted.errors).toBeUndefined();
      expect(counted.data).toEqual({
        mine: { totalCount: 1, edges: [{ cursor: expect.any(String) }] },
        none: { totalCount: 0, edges: [] },
      });
      const unknownNode = Buffer.from('TrainingRun:no-such-run').toString('base64url');
      const absent = await api.request<{ node: unknown }>('query($id: ID!) { node(id: $id) { id } }', {
        id: unknownNode,
      });
      expect(absent.data?.node).toBeNull();
      for (const notOurs of [runId, Buffer.from('Nothing:1').toString('base64url'), '%%']) {
        const refused = await api.request('query($id: ID!) { node(id: $id) { id } }', { id: notOurs });
        expect(refused.errors?.[0]?.extensions?.code, notOurs).toBe('BAD_USER_INPUT');
      }
      const again = await call(mutations.requestRun, { input: runInput(datasetId), key: 'run-1' });
      expect(again.payload).toMatchObject({ id: runId, replayed: true });
      const run = await api.request<{ run: { status: string } }>(
        'query($id: ID!) { run(runId: $id) { status } }',
        { id: runId },
      );
      expect(run.data?.run.status).toBe('REQUESTED');

      const before = api.server.subscriberCount();
      const updates = collect<{
        runProgress: {
          type: string;
          step: number | null;
          stageName: string | null;
          loss: number | null;
          entityLoss: number | null;
          learningRate: number | null;
          tokensPerSecond: number | null;
          etaMs: number | null;
        };
      }>(
        api.ws(),
        'subscription($id: ID!) { runProgress(runId: $id) { type step stageName loss entityLoss learningRate tokensPerSecond etaMs } }',
        { id: runId },
        100,
      );
      await expect.poll(() => api.server.subscriberCount()).toBe(before + 1);
      expect((await call(mutations.claim, { id: runId })).errors).toBeUndefined();
      expect((await call(mutations.stage, { id: runId })).errors).toBeUndefined();
      for (const step of [1, 2, 3]) {
        const progress = await call(mutations.progress, {
          id: runId,
          input: {
            step,
            totalSteps: 3,
            stageIndex: 0,
            epoch: step / 3,
            loss: 3 - step / 2,
            entityLoss: 4 - step,
            learningRate: 1e-3,
            gradNorm: 1,
            tokensPerSecond: 100 * step,
            elapsedMs: step * 10,
            etaMs: (3 - step) * 10,
          },
        });
        expect(progress.errors).toBeUndefined();
      }
      const completed = await call(mutations.complete, {
        id: runId,
        input: {
          artifact: { kind: 'ADAPTER', hash: 'd'.repeat(64), byteSize: 10 },
          finalLoss: 1.5,
          steps: 3,
          durationMs: 100,
          tokensSeen: 300,
        },
      });
      expect(completed.errors).toBeUndefined();
      const received = (await updates.done).map((update) => update.runProgress);
      expect(received.map((update) => update.type)).toEqual([
        'TRAINING_RUN_CLAIMED',
        'TRAINING_STAGE_STARTED',
        'TRAINING_PROGRESS_REPORTED',
        'TRAINING_PROGRESS_REPORTED',
        'TRAINING_PROGRESS_REPORTED',
        'TRAINING_RUN_COMPLETED',
      ]);
      expect(received.map((update) => update.step).slice(2, 5)).toEqual([1, 2, 3]);
      // Charts read the step's figures as fields, not out of the event's data.
      expect(received.slice(2, 5).map(({ type: _type, stageName: _name, ...figures }) => figures)).toEqual(
        [1, 2, 3].map((step) => ({
          step,
          loss: 3 - step / 2,
          entityLoss: 4 - step,
          learningRate: 1e-3,
          tokensPerSecond: 100 * step,
          etaMs: (3 - step) * 10,
        })),
      );
      expect(received[1]?.stageName).toEqual(expect.any(String));
      expect(received[5]?.loss).toBe(1.5);
      updates.stop();
      const events = await api.request<{ stream: { edges: { node: { metadata: { actor: string } } }[] } }>(
        'query($s: ID!) { stream(streamId: $s) { edges { node { metadata { actor } } } } }',
        { s: `run-${runId}` },
      );
      expect(new Set(events.data!.stream.edges.map((edge) => edge.node.metadata.actor))).toEqual(
        new Set(['local']),
      );
    });

    it('maps domain refusals and bad input to codes with actionable messages', async () => {
      // A domain rule the state breaks is a user error of the payload, with nothing recorded and no run.
      const recorded = await countEvents(database);
      const missing = await call(mutations.requestRun, { input: runInput('no-such-dataset') });
      expect(missing.errors).toBeUndefined();
      expect(missing.payload).toMatchObject({ id: null, eventTypes: [], checkpoint: null, run: null });
      expect(missing.payload!.userErrors).toEqual([
        {
          code: 'DATASET_NOT_FOUND',
          kind: 'NOT_FOUND',
          field: null,
          message: expect.stringMatching(/no-such-dataset/),
        },
      ]);
      expect(await countEvents(database)).toBe(recorded);
      const malformed = await call(mutations.requestRun, { input: { seed: 1 } });
      expect(malformed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(malformed.errors?.map((error) => error.message).join('\n')).toMatch(/"dataset"/);
      // A label is exactly one signal, as over REST: two (or none) are refused before anything is looked up.
      const before = await countEvents(database);
      for (const label of [{ thumbs: 'UP', rating: 3 }, {}]) {
        const refused = await call(mutations.label, { id: 'any-interaction', label });
        expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(refused.errors?.[0]?.message).toMatch(/label: give exactly one of thumbs, rating/);
      }
      expect(await countEvents(database)).toBe(before);
    });

    it('refuses an out-of-bounds training request with BAD_USER_INPUT naming the field and bound, recording nothing', async () => {
      const dataset = await call(mutations.registerDataset);
      await call(mutations.addRevision, { id: dataset.payload!.id, input: revision });
      const before = await countEvents(database);
      const cases: [object, string, RegExp][] = [
        [
          { stages: [{ name: 's', learningRate: 1e308, batchSize: 2, epochs: 1 }] },
          'stages[0].learningRate',
          /at most 1\b/,
        ],
        [{ method: { kind: 'LORA', r: 1e6 } }, 'method.r', /hidden size is 64/],
        [{ method: { kind: 'LORA', targetModules: ['evil_proj'] } }, 'method.targetModules', /q_proj/],
        [
          { baseModel: { name: 'etc', source: { kind: 'PATH', path: '/etc' } } },
          'baseModel.source',
          /config\.json/,
        ],
      ];
      for (const [change, field, bound] of cases) {
        const input = { ...runInput(dataset.payload!.id), ...change };
        const refused = await call(mutations.requestRun, { input });
        const error = refused.errors?.[0] as { message: string; extensions?: Record<string, unknown> };
        expect(error.extensions?.['code'], field).toBe('BAD_USER_INPUT');
        expect(error.extensions?.['field']).toBe(field);
        expect(error.message).toContain(field);
        expect(error.message).toMatch(bound);
      }
      // Issue 18: a PPO method without its reward model was a 500. The input type leaves every kind's fields
      // optional; the zod schema it was generated from says which a PPO method needs.
      const ppo = await call(mutations.requestRun, {
        input: {
          ...runInput(dataset.payload!.id),
          method: { kind: 'PPO', klCoefficient: 0.1, clipRange: 0.2, rolloutsPerStep: 4 },
        },
      });
      expect(ppo.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(ppo.errors?.[0]?.message).toContain('input.method.rewardModel');
      expect(await countEvents(database)).toBe(before);
    });
    it('lets each role do exactly its class of mutation; a refused call appends nothing', async () => {
      const admin = await api.server.tokens.create({ actor: 'ada', roles: ['admin'], createdBy: 'test' });
      const tokens: Record<string, string> = { admin: admin.token };
      for (const role of ['viewer', 'labeler', 'engineer', 'approver', 'worker'] as const) {
        tokens[role] = (
          await api.server.tokens.create({ actor: `${role}-1`, roles: [role], createdBy: 'test' })
        ).token;
      }
      const dataset = await call(mutations.registerDataset, {}, admin.token);
      await call(mutations.addRevision, { id: dataset.payload!.id, input: revision }, admin.token);
      const run = await call(mutations.requestRun, { input: runInput(dataset.payload!.id) }, admin.token);
      const interaction = await call(
        mutations.recordInteraction,
        {
          input: {
            model: { name: 'm', version: 1 },
            prompt: 'user: hi',
            response: 'hello',
            latencyMs: 1,
            tokens: { prompt: 1, completion: 1 },
          },
        },
        admin.token,
      );
      const prompt = await call(
        mutations.candidates,
        { c: [{ text: 'Paris' }, { text: 'Lyon' }] },
        admin.token,
      );
      const ranking = (await services.feedback.rankedPrompt(prompt.payload!.id))!.candidates.map(
        (candidate) => candidate.candidateId,
      );

      // The rules of the issue, written out independently of the code's table. Corrections and rankings
      // teach the model (they become training data): labelers, engineers and admins only.
      const allowed: Record<string, Record<string, boolean>> = {
        data: { viewer: false, labeler: false, engineer: true, approver: false, worker: false, admin: true },
        correct: {
          viewer: false,
          labeler: true,
          engineer: true,
          approver: false,
          worker: false,
          admin: true,
        },
        rank: { viewer: false, labeler: true, engineer: true, approver: false, worker: false, admin: true },
        train: { viewer: false, labeler: false, engineer: true, approver: false, worker: false, admin: true },
        release: {
          viewer: false,
          labeler: false,
          engineer: false,
          approver: true,
          worker: false,
          admin: true,
        },
        work: { viewer: false, labeler: false, engineer: false, approver: false, worker: true, admin: true },
      };
      const attempts: Record<string, [string, Record<string, unknown>]> = {
        data: [mutations.registerDataset, {}],
        correct: [mutations.label, { id: interaction.payload!.id, label: { correction: 'Say hello back.' } }],
        rank: [mutations.rank, { id: prompt.payload!.id, r: ranking }],
        train: [mutations.requestRun, { input: runInput(dataset.payload!.id) }],
        release: [mutations.promote, {}],
        work: [mutations.heartbeat, { id: run.payload!.id }],
      };
      for (const [action, [query, variables]] of Object.entries(attempts)) {
        for (const role of Object.keys(tokens)) {
          const head = await countEvents(database);
          const result = await call(query, variables, tokens[role]);
          const code = result.errors?.[0]?.extensions?.code;
          if (allowed[action]![role]) {
            expect(code, `${role} ${action}: ${result.errors?.[0]?.message}`).not.toBe('FORBIDDEN');
            if (action === 'correct' || action === 'rank') expect(result.errors).toBeUndefined();
          } else {
            expect(code, `${role} ${action}`).toBe('FORBIDDEN');
            expect(result.errors?.[0]?.message).toMatch(/needs one of the roles/);
            expect(await countEvents(database)).toBe(head);
          }
        }
      }
      // Each correction and ranking records the role that supplied it.
      const labels = await services.feedback.labelledInteraction(interaction.payload!.id);
      expect(labels!.labels.map((label) => 'labelerRole' in label && label.labelerRole)).toEqual([
        'admin',
        'labeler',
        'engineer',
      ]);
    });
  });
}
