/**
 * A worker outside the process does an evaluation through GraphQL with its own worker token: claims it,
 * renews its lease, reports progress and completes it; a second worker is refused at every step, and a
 * refused call appends nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluationStream, interactionStream } from '../../src/domain/index.js';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import { allProjections, ProjectionRunner } from '../../src/projections/index.js';
import { createServices, systemClock, uuidIds, type Services } from '../../src/services/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { completeRun, datasetWithRevision, requestRun } from '../support/lifecycle.js';
import { startHarness, type Harness } from './harness.js';

type Payload = {
  id: string;
  eventTypes: string[];
  userErrors?: { code: string; kind: string; message: string }[];
};
type Errors = { message: string; extensions?: { code?: string } }[] | undefined;

const ana = { actor: 'ana', roles: ['admin'] };

const work = {
  claim: `mutation($id: ID!) { m: claimEvaluation(evaluationId: $id, leaseMs: 60000) { id eventTypes userErrors { code kind message } } }`,
  renew: `mutation($id: ID!) { m: renewEvaluationLease(evaluationId: $id, leaseMs: 120000) { id eventTypes } }`,
  progress: `mutation($id: ID!) { m: reportEvaluationProgress(evaluationId: $id, completedExamples: 2, totalExamples: 4) { id eventTypes } }`,
  complete: `mutation($id: ID!, $input: EvaluationCompletionInput!) { m: completeEvaluation(evaluationId: $id, input: $input) { id eventTypes } }`,
  fail: `mutation($id: ID!) { m: failEvaluation(evaluationId: $id, reason: "out of memory") { id eventTypes userErrors { code kind message } } }`,
};

for (const target of databaseTargets) {
  describe(`evaluation work over GraphQL (${target.name})`, () => {
    let database: TestDatabase;
    let api: Harness;
    let runner: ProjectionRunner;
    let services: Services;

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
    });
    afterAll(async () => {
      await api?.close();
      await runner?.stop();
      await database?.close();
    });

    /** A retained model version trained on a dataset revision with an eval split, as the platform makes them. */
    const modelVersion = async (): Promise<void> => {
      await datasetWithRevision(services, 'qa', ana);
      await requestRun(services, 'r1', 'qa', ana);
      await completeRun(services, 'r1', { actor: 'trainer', roles: ['worker'] });
      await services.models.registerModelVersion({ modelName: 'qa-model', runId: 'r1' }, ana);
    };

    it('lets the worker holding the lease claim, renew, report and complete; others change nothing', async () => {
      await modelVersion();
      const tokens = {
        admin: (await api.server.tokens.create({ actor: 'ada', roles: ['admin'], createdBy: 'test' })).token,
        engineer: (await api.server.tokens.create({ actor: 'eve', roles: ['engineer'], createdBy: 'test' }))
          .token,
        w1: (await api.server.tokens.create({ actor: 'gpu-box-1', roles: ['worker'], createdBy: 'test' }))
          .token,
        w2: (await api.server.tokens.create({ actor: 'gpu-box-2', roles: ['worker'], createdBy: 'test' }))
          .token,
      };
      const call = async (query: string, token: string, variables: Record<string, unknown>) => {
        const response = await api.request<{ m: Payload }>(query, variables, token);
        return { payload: response.data?.m, errors: response.errors as Errors };
      };
      const requested = await call(
        `mutation($input: EvaluationRequestInput!) { m: requestEvaluation(input: $input) { id eventTypes } }`,
        tokens.engineer,
        {
          input: {
            model: { name: 'qa-model', version: 1 },
            dataset: { id: 'qa', revision: 1 },
            suites: ['EXACT_MATCH', 'F1'],
            gate: [{ metric: 'f1', op: 'GTE', value: 0.7 }],
          },
        },
      );
      expect(requested.errors).toBeUndefined();
      const id = requested.payload!.id;
      const logLength = async () => (await api.store.readStream(evaluationStream(id))).length;

      // An engineer may request but not do the work.
      const engineerClaim = await call(work.claim, tokens.engineer, { id });
      expect(engineerClaim.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

      const claimed = await call(work.claim, tokens.w1, { id });
      expect(claimed.errors).toBeUndefined();
      expect(claimed.payload!.eventTypes).toEqual(['EvaluationClaimed']);

      // The second worker is refused at every step, and nothing is appended.
      const before = await logLength();
      const refusals = {
        claim: await call(work.claim, tokens.w2, { id }),
        renew: await call(work.renew, tokens.w2, { id }),
        progress: await call(work.progress, tokens.w2, { id }),
        complete: await call(work.complete, tokens.w2, { id, input: { metrics: { f1: 1 } } }),
        fail: await call(work.fail, tokens.w2, { id }),
      };
      // A claim the state refuses is a user error of the payload, not a GraphQL error; nothing recorded.
      expect(refusals.claim.errors).toBeUndefined();
      expect(refusals.claim.payload?.userErrors?.[0]).toMatchObject({
        code: 'EVALUATION_ALREADY_CLAIMED',
        kind: 'CONFLICT',
        message: expect.stringMatching(/held by "gpu-box-1"/),
      });
      expect(refusals.claim.payload).toMatchObject({ id: null, eventTypes: [] });
      for (const step of ['renew', 'progress', 'complete', 'fail'] as const) {
        expect(refusals[step].errors?.[0]?.extensions?.code, step).toBe('FORBIDDEN');
        expect(refusals[step].errors?.[0]?.message, step).toMatch(/does not hold evaluation/);
      }
      expect(await logLength()).toBe(before);

      // Its scored records: the worker records each as an interaction and gives it its automatic category.
      // Only the holder may, only on this evaluation's interactions, and a worker still may not labelFeedback.
      const interactionId = `eval-${id}-r1`;
      const recorded = await call(
        `mutation($input: InteractionInput!) { m: recordInteraction(input: $input) { id eventTypes } }`,
        tokens.w1,
        {
          input: {
            interactionId,
            model: { name: 'qa-model', version: 1 },
            prompt: 'What is the capital of Peru?',
            response: 'Quito',
            latencyMs: 0,
            tokens: { prompt: 0, completion: 0 },
          },
        },
      );
      expect(recorded.errors).toBeUndefined();
      const labelRecord = `mutation($id: ID!, $record: ID!) { m: labelScoredRecord(evaluationId: $id, recordId: $record, category: "wrong-fact") { id eventTypes userErrors { code kind message } } }`;
      const interactionLength = async () =>
        (await api.store.readStream(interactionStream(interactionId))).length;
      const labelRefusals = {
        otherWorker: await call(labelRecord, tokens.w2, { id, record: 'r1' }),
        engineer: await call(labelRecord, tokens.engineer, { id, record: 'r1' }),
        labelFeedback: await call(
          `mutation($i: ID!) { m: labelFeedback(interactionId: $i, label: { errorCategory: "wrong-fact" }) { id eventTypes } }`,
          tokens.w1,
          { i: interactionId },
        ),
      };
      expect(labelRefusals.otherWorker.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(labelRefusals.otherWorker.errors?.[0]?.message).toMatch(/does not hold evaluation/);
      expect(labelRefusals.engineer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(labelRefusals.labelFeedback.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(await interactionLength()).toBe(1);
      const labeled = await call(labelRecord, tokens.w1, { id, record: 'r1' });
      expect(labeled.errors).toBeUndefined();
      expect(labeled.payload).toEqual({ id: interactionId, eventTypes: ['FeedbackLabeled'], userErrors: [] });
      const label = (await api.store.readStream(interactionStream(interactionId))).at(-1)!;
      expect(label.metadata.actor).toBe('gpu-box-1');
      expect(label.data).toMatchObject({
        labeler: 'gpu-box-1',
        label: { kind: 'error-category', category: 'wrong-fact' },
      });

      // The holder renews, reports and completes; the gate is applied to its metrics.
      for (const [query, variables, type] of [
        [work.renew, { id }, 'EvaluationLeaseRenewed'],
        [work.progress, { id }, 'EvaluationProgressReported'],
        [work.complete, { id, input: { metrics: { exactMatch: 0.5, f1: 0.75 } } }, 'EvaluationCompleted'],
      ] as const) {
        const done = await call(query, tokens.w1, variables);
        expect(done.errors, type).toBeUndefined();
        expect(done.payload!.eventTypes).toEqual([type]);
      }
      const renewed = (await api.store.readStream(evaluationStream(id))).find(
        (event) => event.type === 'EvaluationLeaseRenewed',
      )!;
      expect(renewed.metadata.actor).toBe('gpu-box-1');
      expect(renewed.data).toMatchObject({ evaluationId: id, workerId: 'gpu-box-1', attempt: 1 });

      // Read-your-writes: the read model has the outcome when the mutation returns.
      const read = await api.request<{
        evaluation: { status: string; gatePassed: boolean; metrics: Record<string, number> };
      }>(
        'query($id: ID!) { evaluation(evaluationId: $id) { status gatePassed metrics } }',
        { id },
        tokens.admin,
      );
      expect(read.data?.evaluation).toEqual({
        status: 'COMPLETED',
        gatePassed: true,
        metrics: { exactMatch: 0.5, f1: 0.75 },
      });
      const late = await call(work.fail, tokens.w1, { id });
      expect(late.payload?.userErrors?.[0]).toMatchObject({
        code: 'EVALUATION_ALREADY_FINISHED',
        kind: 'CONFLICT',
      });
      // A finished evaluation's records are labeled by people only.
      const lateLabel = await call(labelRecord, tokens.w1, { id, record: 'r1' });
      expect(lateLabel.payload?.userErrors?.[0]).toMatchObject({ kind: 'CONFLICT' });
      expect(await interactionLength()).toBe(2);
    });
  });
}
