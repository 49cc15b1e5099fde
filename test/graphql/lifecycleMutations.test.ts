/**
 * The rest of the domain's commands over GraphQL, each with the role it needs: registering and archiving
 * model versions, checkpoints and lease expiry, augmentations, deployments made live, degradations and
 * rollbacks reported by workers, interactions recorded elsewhere, and RLHF candidates with their rankings.
 * A refused call appends nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import { allProjections, ProjectionRunner } from '../../src/projections/index.js';
import { createServices, systemClock, uuidIds, type Services } from '../../src/services/index.js';
import { hash } from '../domain/support.js';
import { countEvents, databaseTargets, type TestDatabase } from '../support/databases.js';
import { completeRun, datasetWithRevision, requestRun } from '../support/lifecycle.js';
import { startHarness, type Harness } from './harness.js';

type Payload = {
  id: string | null;
  eventTypes: string[];
  userErrors?: { code: string; kind: string; message: string }[];
};
type Errors = { message: string; extensions?: { code?: string } }[] | undefined;

type Role = 'viewer' | 'engineer' | 'approver' | 'worker' | 'admin';

const ana = { actor: 'ana', roles: ['admin'] };
const trainer = { actor: 'trainer', roles: ['worker'] };
const split = { hash: hash('qa'), recordCount: 4, byteSize: 100 };
const revisionFields = {
  contentHash: hash('qa'),
  recordCount: 4,
  byteSize: 100,
  splits: { train: split, eval: split },
  piiReport: { counts: {} },
  qualityReport: { rejected: [] },
};

for (const target of databaseTargets) {
  describe(`lifecycle mutations (${target.name})`, () => {
    let database: TestDatabase;
    let api: Harness;
    let runner: ProjectionRunner;
    let services: Services;
    let tokens: Record<Role, string>;

    beforeAll(async () => {
      database = await target.open();
      const store = new PostgresEventStore(database, { pollIntervalMs: 50 });
      services = createServices({
        store,
        clock: systemClock,
        ids: uuidIds,
        baseModelCheck: async () => true,
      });
      runner = new ProjectionRunner({ db: database.db, store, projections: allProjections });
      runner.start();
      api = await startHarness(database, { services, projections: runner });
      const token = async (actor: string, role: Role) =>
        (await api.server.tokens.create({ actor, roles: [role], createdBy: 'test' })).token;
      tokens = {
        viewer: await token('vic', 'viewer'),
        engineer: await token('eve', 'engineer'),
        approver: await token('abe', 'approver'),
        worker: await token('gpu-1', 'worker'),
        admin: await token('ada', 'admin'),
      };
      await datasetWithRevision(services, 'qa', ana);
      for (const runId of ['r1', 'r2', 'r3']) await requestRun(services, runId, 'qa', ana);
      for (const runId of ['r1', 'r2']) await completeRun(services, runId, trainer, hash(`adapter-${runId}`));
    });
    afterAll(async () => {
      await api?.close();
      await runner?.stop();
      await database?.close();
    });

    const logLength = () => countEvents(database);
    const call = async (
      role: keyof typeof tokens,
      query: string,
      variables: Record<string, unknown> = {},
    ) => {
      const response = await api.request<{ m: Payload }>(query, variables, tokens[role]);
      return { payload: response.data?.m, errors: response.errors as Errors };
    };
    /** The call succeeds with these events; the same call from `refused` is FORBIDDEN and appends nothing. */
    const allowedOnly = async (
      role: keyof typeof tokens,
      refused: keyof typeof tokens,
      query: string,
      variables: Record<string, unknown>,
      eventTypes: string[],
    ): Promise<Payload> => {
      const before = await logLength();
      const denied = await call(refused, query, variables);
      expect(denied.errors?.[0]?.extensions?.code, `${refused}: ${query}`).toBe('FORBIDDEN');
      expect(await logLength()).toBe(before);
      const done = await call(role, query, variables);
      expect(done.errors, query).toBeUndefined();
      expect(done.payload!.eventTypes).toEqual(eventTypes);
      return done.payload!;
    };

    it('registers, deploys, degrades, rolls back and archives through the roles that may', async () => {
      const register = `mutation($run: ID!) { m: registerModelVersion(modelName: "qa-model", runId: $run) { id eventTypes userErrors { code kind message } } }`;
      expect(
        (await allowedOnly('engineer', 'viewer', register, { run: 'r1' }, ['ModelVersionRegistered'])).id,
      ).toBe('qa-model@1');
      expect((await call('engineer', register, { run: 'r2' })).payload!.id).toBe('qa-model@2');
      const unfinished = await call('engineer', register, { run: 'r3' });
      expect(unfinished.errors).toBeUndefined();
      expect(unfinished.payload?.userErrors?.[0]).toMatchObject({
        code: 'RUN_NOT_COMPLETED',
        kind: 'CONFLICT',
      });

      const deploy = `mutation($v: Int!) { m: requestDeployment(deploymentName: "prod", modelName: "qa-model", version: $v, environment: "production") { id userErrors { code kind message } } }`;
      const activate = `mutation { m: activateDeployment(deploymentName: "prod", endpoint: "http://gpu-1:4000/v1") { id eventTypes } }`;
      expect((await call('approver', deploy, { v: 1 })).errors).toBeUndefined();
      await allowedOnly('worker', 'engineer', activate, {}, ['DeploymentActivated']);
      expect((await call('approver', deploy, { v: 2 })).errors).toBeUndefined();
      expect((await call('worker', activate)).payload!.eventTypes).toEqual(['DeploymentActivated']);

      const degrade = `mutation($input: DegradationInput!) { m: detectDegradation(deploymentName: "prod", input: $input) { id eventTypes } }`;
      const observed = {
        metric: 'OUTPUT_ENTROPY',
        baseline: 1,
        current: 1.3,
        window: {
          from: new Date(Date.now() - 60_000).toISOString(),
          to: new Date().toISOString(),
          samples: 50,
        },
        policy: { maxChangePct: 15 },
      };
      await allowedOnly('worker', 'viewer', degrade, { input: observed }, [
        'DegradationDetected',
        'RollbackRequested',
      ]);
      const requested = (await api.store.readStream('deployment-prod')).find(
        (e) => e.type === 'RollbackRequested',
      )!;
      const { rollbackId, toVersion } = requested.data as { rollbackId: string; toVersion: number };
      expect(toVersion).toBe(1);
      await allowedOnly(
        'worker',
        'approver',
        `mutation($r: ID!) { m: completeRollback(deploymentName: "prod", rollbackId: $r) { id eventTypes } }`,
        { r: rollbackId },
        ['RolledBack'],
      );
      const deployment = await api.request<{ deployment: { activeVersion: number } }>(
        '{ deployment(deploymentName: "prod") { activeVersion } }',
        {},
        tokens.viewer,
      );
      expect(deployment.data?.deployment.activeVersion).toBe(1);

      await allowedOnly(
        'approver',
        'engineer',
        `mutation { m: archiveModelVersion(modelName: "qa-model", version: 2, note: "degraded in production") { id eventTypes } }`,
        {},
        ['ModelVersionArchived'],
      );
      const again = await call('approver', deploy, { v: 2 });
      expect(again.payload?.userErrors?.[0]).toMatchObject({
        code: 'MODEL_VERSION_ARCHIVED',
        kind: 'CONFLICT',
        message: expect.stringMatching(/archived/),
      });
    });

    it('takes checkpoints from the holder and lets an admin record a lapsed lease', async () => {
      const claim = await call(
        'worker',
        `mutation { m: claimTrainingRun(runId: "r3", backend: "cpu", leaseMs: 15000) { id eventTypes } }`,
      );
      expect(claim.errors).toBeUndefined();
      // Right after the claim, while the lease surely runs (a loaded machine can take seconds per call).
      const early = await call(
        'admin',
        `mutation { m: expireTrainingRunLease(runId: "r3") { id userErrors { code kind message } } }`,
      );
      expect(early.payload?.userErrors?.[0]).toMatchObject({
        code: 'LEASE_STILL_VALID',
        kind: 'CONFLICT',
        message: expect.stringMatching(/runs until/),
      });
      const stage = await call(
        'worker',
        `mutation { m: startStage(runId: "r3", stageIndex: 0, steps: 20) { id eventTypes } }`,
      );
      expect(stage.errors).toBeUndefined();
      const progress = await call(
        'worker',
        `mutation($input: ProgressInput!) { m: reportProgress(runId: "r3", input: $input) { id eventTypes } }`,
        {
          input: {
            step: 10,
            totalSteps: 20,
            stageIndex: 0,
            epoch: 0.5,
            loss: 1.2,
            learningRate: 1e-3,
            gradNorm: 1,
            tokensPerSecond: 100,
            elapsedMs: 1000,
            etaMs: 1000,
          },
        },
      );
      expect(progress.errors).toBeUndefined();
      const checkpoint = `mutation($h: String!) { m: saveCheckpoint(runId: "r3", step: 10, artifactHash: $h, byteSize: 2048) { id eventTypes userErrors { code kind message } } }`;
      await allowedOnly('worker', 'engineer', checkpoint, { h: hash('ckpt-10') }, ['CheckpointSaved']);
      const lease = (await api.store.readStream('run-r3')).find((e) => e.type === 'TrainingRunClaimed')!;
      const leaseUntil = Date.parse((lease.data as { leaseUntil: string }).leaseUntil);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, leaseUntil - Date.now() + 50)));
      await allowedOnly(
        'admin',
        'engineer',
        `mutation { m: expireTrainingRunLease(runId: "r3") { id eventTypes } }`,
        {},
        ['TrainingRunLeaseExpired'],
      );
      const expired = (await api.store.readStream('run-r3')).at(-1)!;
      expect(expired.data).toMatchObject({
        workerId: 'gpu-1',
        resumeFrom: { step: 10, artifactHash: hash('ckpt-10') },
      });
      const late = await call('worker', checkpoint, { h: hash('ckpt-20') });
      expect(late.payload?.userErrors?.[0]).toMatchObject({ kind: 'CONFLICT' });
    });

    it('closes augmentations reported by a worker, with the new revision', async () => {
      for (const augmentationId of ['aug-1', 'aug-2']) {
        await services.datasets.requestAugmentation(
          { datasetId: 'qa', augmentationId, baseRevision: 1, templates: ['Explain {term}'], seed: 1 },
          ana,
        );
      }
      await allowedOnly(
        'worker',
        'engineer',
        `mutation($input: AugmentationCompletionInput!) { m: completeAugmentation(datasetId: "qa", augmentationId: "aug-1", input: $input) { id eventTypes } }`,
        { input: { ...revisionFields, recordCount: 12, contentHash: hash('qa-augmented') } },
        ['DatasetRevisionAdded', 'AugmentationCompleted'],
      );
      await allowedOnly(
        'worker',
        'viewer',
        `mutation { m: failAugmentation(datasetId: "qa", augmentationId: "aug-2", reason: "lexicon missing") { id eventTypes } }`,
        {},
        ['AugmentationFailed'],
      );
      const revisions = await api.request<{
        dataset: { revisions: { edges: { node: { revision: number; recordCount: number } }[] } };
      }>(
        '{ dataset(datasetId: "qa") { revisions { edges { node { revision recordCount } } } } }',
        {},
        tokens.viewer,
      );
      expect(revisions.data?.dataset.revisions.edges.map((e) => e.node)).toEqual([
        { revision: 1, recordCount: 4 },
        { revision: 2, recordCount: 12 },
      ]);
    });

    it('records interactions served elsewhere and RLHF candidates ranked by people', async () => {
      const interaction = await allowedOnly(
        'worker',
        'engineer',
        `mutation($input: InteractionInput!) { m: recordInteraction(input: $input) { id eventTypes } }`,
        {
          input: {
            deploymentName: 'prod',
            model: { name: 'qa-model', version: 1 },
            prompt: 'What is the capital of France?',
            response: 'Paris.',
            latencyMs: 12,
            tokens: { prompt: 8, completion: 2 },
            meanTokenEntropy: 0.4,
          },
        },
        ['InteractionRecorded'],
      );
      const read = await api.request<{ interaction: { response: string; deploymentName: string } }>(
        'query($id: ID!) { interaction(interactionId: $id) { response deploymentName } }',
        { id: interaction.id },
        tokens.viewer,
      );
      expect(read.data?.interaction).toEqual({ response: 'Paris.', deploymentName: 'prod' });

      const generated = await allowedOnly(
        'engineer',
        'viewer',
        `mutation($c: [CandidateInput!]!) { m: generateCandidates(prompt: "Name a prime.", candidates: $c) { id eventTypes } }`,
        { c: [{ text: '7' }, { text: '9' }, { text: '2', model: { name: 'qa-model', version: 1 } }] },
        ['CandidatesGenerated'],
      );
      const promptId = generated.id;
      const prompts = async (rankedOnly: boolean) =>
        (
          await api.request<{
            preferencePrompts: {
              edges: {
                node: {
                  promptId: string;
                  candidates: { candidateId: string; text: string }[];
                  rankingCount: number;
                  rankings: { ranking: string[]; labeler: string }[];
                };
              }[];
            };
          }>(
            'query($r: Boolean!) { preferencePrompts(rankedOnly: $r) { edges { node { promptId candidates { candidateId text } rankingCount rankings { ranking labeler } } } } }',
            { r: rankedOnly },
            tokens.viewer,
          )
        ).data!.preferencePrompts.edges.map((e) => e.node);
      expect(await prompts(true)).toEqual([]);
      const [unranked] = await prompts(false);
      expect(unranked!.candidates.map((c) => c.text)).toEqual(['7', '9', '2']);
      const ids = unranked!.candidates.map((c) => c.candidateId);

      const rank = `mutation($p: ID!, $r: [ID!]!) { m: rankPreference(promptId: $p, ranking: $r) { id eventTypes } }`;
      const before = await logLength();
      const incomplete = await call('engineer', rank, { p: promptId, r: ids.slice(0, 2) });
      expect(incomplete.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(await logLength()).toBe(before);
      const best = [ids[2]!, ids[0]!, ids[1]!];
      await allowedOnly('engineer', 'worker', rank, { p: promptId, r: best }, ['PreferenceRanked']);
      expect(await prompts(true)).toEqual([
        {
          promptId,
          candidates: unranked!.candidates,
          rankingCount: 1,
          rankings: [{ ranking: best, labeler: 'eve' }],
        },
      ]);
    });
  });
}
