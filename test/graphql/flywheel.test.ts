/**
 * The data flywheel over GraphQL: served interactions, labelled by people, become a new revision of an
 * instruction dataset; lineage leads from each interaction used to it; a run of the flywheel that would add
 * nothing is refused and appends nothing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore, readCanonicalRecords } from '../../src/data/index.js';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import { allProjections, ProjectionRunner } from '../../src/projections/index.js';
import {
  buildPreferenceRevision,
  createServices,
  systemClock,
  uuidIds,
  type Services,
} from '../../src/services/index.js';
import { countEvents, databaseTargets, type TestDatabase } from '../support/databases.js';
import { startHarness, type Harness } from './harness.js';

type Errors = { message: string; extensions?: { code?: string } }[] | undefined;
const worker = { actor: 'serving', roles: ['worker'] };

const flywheel = `mutation($input: FlywheelRevisionInput!, $key: String) {
  m: buildFlywheelRevision(input: $input, idempotencyKey: $key) { datasetId revision parentRevision considered added corrections copied skipped replayed eventTypes }
}`;

for (const target of databaseTargets) {
  describe(`data flywheel (${target.name})`, () => {
    let database: TestDatabase;
    let api: Harness;
    let runner: ProjectionRunner;
    let services: Services;
    let artifacts: LocalArtifactStore;

    beforeAll(async () => {
      database = await target.open();
      const store = new PostgresEventStore(database, { pollIntervalMs: 50 });
      services = createServices({ store, clock: systemClock, ids: uuidIds });
      runner = new ProjectionRunner({
        db: database.db,
        store,
        projections: allProjections,
        pollIntervalMs: 50,
      });
      runner.start();
      artifacts = new LocalArtifactStore(join(mkdtempSync(join(tmpdir(), 'tl-flywheel-')), 'artifacts'));
      api = await startHarness(database, { services, projections: runner, artifacts });
    });
    afterAll(async () => {
      await api?.close();
      await runner?.stop();
      await database?.close();
    });

    const call = async (input: Record<string, unknown>, key?: string) => {
      const response = await api.request<{ m: Record<string, unknown> }>(flywheel, { input, key });
      return { payload: response.data?.m, errors: response.errors as Errors };
    };
    const serve = async (interactionId: string, deploymentName: string, prompt: string, response: string) =>
      services.feedback.recordInteraction(
        {
          interactionId,
          deploymentName,
          model: { name: 'qa-model', version: 1 },
          prompt,
          response,
          latencyMs: 10,
          tokens: { prompt: 5, completion: 3 },
        },
        worker,
      );
    const label = async (interactionId: string, label: Record<string, unknown>) => {
      const response = await api.request(
        'mutation($i: ID!, $l: FeedbackLabelInput!) { labelFeedback(interactionId: $i, label: $l) { id } }',
        { i: interactionId, l: label },
      );
      expect(response.errors).toBeUndefined();
    };

    it('turns praised answers and corrections into a revision with lineage to the interactions', async () => {
      const ingested = await api.request<{ m: { datasetId: string; revision: number } }>(
        'mutation($input: DatasetIngestInput!) { m: ingestDataset(input: $input) { datasetId revision } }',
        {
          input: {
            name: 'support-qa',
            content: '{"instruction":"How do I reset my password?","output":"Use the reset link."}\n',
            format: 'ALPACA',
            allowSmallEvalSplit: true,
          },
        },
      );
      expect(ingested.errors).toBeUndefined();
      const datasetId = ingested.data!.m.datasetId;

      await serve('i-good', 'prod', 'user: What is the capital of France?', 'Paris.');
      await serve('i-fixed', 'prod', 'system: be brief\nuser: Who do I mail?', 'No idea.');
      await serve('i-bad', 'prod', 'user: 2 + 2?', '5');
      await serve('i-unlabelled', 'prod', 'user: hello', 'hi');
      await serve('i-other', 'staging', 'user: staging question', 'staging answer');
      await label('i-good', { thumbs: 'UP' });
      await label('i-fixed', { thumbs: 'DOWN' });
      await label('i-fixed', { correction: 'Write to help@example.com.' });
      await label('i-bad', { rating: 2 });
      await label('i-other', { thumbs: 'UP' });

      const built = await call({ datasetId, deploymentName: 'prod', evalFraction: 0 }, 'flywheel-1');
      expect(built.errors).toBeUndefined();
      expect(built.payload).toEqual({
        datasetId,
        revision: 2,
        parentRevision: 1,
        considered: 3,
        added: 2,
        corrections: 1,
        copied: 1,
        skipped: { rejected: 1 },
        replayed: false,
        eventTypes: ['DatasetRevisionAdded'],
      });
      // A retry under the same key (the answer was lost on the way): the first answer, nothing appended.
      const beforeRetry = await countEvents(database);
      const retried = await call({ datasetId, deploymentName: 'prod', evalFraction: 0 }, 'flywheel-1');
      expect(retried.errors).toBeUndefined();
      expect(retried.payload).toEqual({ ...built.payload, replayed: true });
      expect(await countEvents(database)).toBe(beforeRetry);

      const revision = (await api.store.readStream(`dataset-${datasetId}`)).at(-1)!.data as {
        contentHash: string;
        transform: { kind: string };
        sourceInteractions: string[];
        piiReport: { counts: Record<string, number> };
      };
      expect(revision.transform.kind).toBe('flywheel');
      expect(revision.sourceInteractions.sort()).toEqual(['i-fixed', 'i-good']);
      // The correction was redacted before it reached the log: the flywheel finds no PII left to count.
      expect(revision.piiReport.counts).toEqual({});
      // Who taught the model: local single-user mode holds every role, the labeler's first.
      expect((revision.transform as { params?: unknown }).params).toMatchObject({
        correctionRoles: { 'i-fixed': 'labeler' },
      });
      const records: { messages: { role: string; content: string }[] }[] = [];
      for await (const record of readCanonicalRecords(artifacts, revision.contentHash))
        records.push(record as never);
      expect(records).toHaveLength(3);
      const fixed = records.find((r) => r.messages.some((m) => m.content === 'Who do I mail?'))!;
      expect(fixed.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
      expect(fixed.messages[2]!.content).not.toContain('help@example.com');

      const lineage = await api.request<{
        lineage: { edges: { from: string; to: string; relation: string }[] };
      }>(
        'query($id: ID!) { lineage(id: $id, direction: UPSTREAM, depth: 1) { edges { from to relation } } }',
        { id: `dataset:${datasetId}@2` },
      );
      expect(
        lineage
          .data!.lineage.edges.filter((e) => e.relation === 'COLLECTED')
          .map((e) => e.from)
          .sort(),
      ).toEqual(['interaction:i-fixed', 'interaction:i-good']);

      // Nothing new since: refused, and the log is unchanged.
      const before = await countEvents(database);
      const again = await call({ datasetId, deploymentName: 'prod' });
      expect(again.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(again.errors?.[0]?.message).toMatch(/no new records .* 2 duplicate, 1 rejected/);
      expect(await countEvents(database)).toBe(before);

      const badRating = await call({ datasetId, minRating: 9 });
      expect(badRating.errors?.[0]?.message).toMatch(/minRating must be an integer from 1 to 5/);
    });
    it('turns human rankings into chosen/rejected pairs of a preference dataset', async () => {
      const registered = await api.request<{ m: { id: string } }>(
        'mutation { m: registerDataset(name: "support-prefs", format: PREFERENCE) { id } }',
        {},
      );
      expect(registered.errors).toBeUndefined();
      const datasetId = registered.data!.m.id;
      const generate = async (prompt: string, texts: string[]) => {
        const response = await api.request<{ m: { id: string } }>(
          'mutation($p: String!, $c: [CandidateInput!]!) { m: generateCandidates(prompt: $p, candidates: $c) { id } }',
          { p: prompt, c: texts.map((text) => ({ text })) },
        );
        expect(response.errors).toBeUndefined();
        const prompts = await api.request<{
          preferencePrompts: {
            edges: { node: { promptId: string; candidates: { candidateId: string; text: string }[] } }[];
          };
        }>(
          '{ preferencePrompts(first: 100) { edges { node { promptId candidates { candidateId text } } } } }',
          {},
        );
        const node = prompts.data!.preferencePrompts.edges.find(
          (e) => e.node.promptId === response.data!.m.id,
        )!.node;
        return {
          promptId: node.promptId,
          id: (text: string) => node.candidates.find((c) => c.text === text)!.candidateId,
        };
      };
      const rank = async (promptId: string, ranking: string[]) => {
        const response = await api.request(
          'mutation($p: ID!, $r: [ID!]!) { rankPreference(promptId: $p, ranking: $r) { id } }',
          { p: promptId, r: ranking },
        );
        expect(response.errors).toBeUndefined();
      };
      const capital = await generate('user: Capital of Peru?', ['Lima.', 'Cusco.', 'Mail lima@example.com']);
      const prime = await generate('Name a prime.', ['7', '9']);
      // The log holds the candidates as the services' gate redacted them.
      const mailed = 'Mail [EMAIL]';
      await generate('Unranked prompt', ['a', 'b']);
      await rank(capital.promptId, [capital.id('Lima.'), capital.id(mailed), capital.id('Cusco.')]);
      // A second person agrees: the same pairs, counted once.
      await services.feedback.rankPreference(
        {
          promptId: capital.promptId,
          ranking: [capital.id('Lima.'), capital.id(mailed), capital.id('Cusco.')],
        },
        { actor: 'bo', roles: ['engineer'] },
      );
      await rank(prime.promptId, [prime.id('7'), prime.id('9')]);

      const build = `mutation($d: ID!, $key: String) { m: buildPreferenceRevision(datasetId: $d, evalFraction: 0, idempotencyKey: $key) { revision parentRevision rankedPrompts pairsAdded duplicates copied replayed eventTypes agreement { prompts meanTau labelers minAgreement excludedLabelers excludedRankings } } }`;
      const built = await api.request<{ m: Record<string, unknown> }>(build, {
        d: datasetId,
        key: 'prefs-1',
      });
      expect(built.errors).toBeUndefined();
      expect(built.data!.m).toEqual({
        revision: 1,
        parentRevision: null,
        rankedPrompts: 2,
        pairsAdded: 4,
        duplicates: 3,
        copied: 0,
        replayed: false,
        eventTypes: ['DatasetRevisionAdded'],
        // Two people ranked the capital prompt the same way: full agreement, measured on that prompt only.
        agreement: {
          prompts: 1,
          meanTau: 1,
          labelers: 2,
          minAgreement: null,
          excludedLabelers: 0,
          excludedRankings: 0,
        },
      });
      const beforeRetry = await countEvents(database);
      const retried = await api.request<{ m: Record<string, unknown> }>(build, {
        d: datasetId,
        key: 'prefs-1',
      });
      expect(retried.data!.m).toEqual({ ...built.data!.m, replayed: true });
      expect(await countEvents(database)).toBe(beforeRetry);
      const added = (await api.store.readStream(`dataset-${datasetId}`)).at(-1)!.data as {
        contentHash: string;
        piiReport: { counts: Record<string, number> };
      };
      const pairs: { chosen: string; rejected: string }[] = [];
      for await (const record of readCanonicalRecords(artifacts, added.contentHash))
        pairs.push(record as never);
      expect(pairs.map((p) => `${p.chosen} > ${p.rejected}`)).toEqual([
        'Lima. > Mail [EMAIL]',
        'Lima. > Cusco.',
        'Mail [EMAIL] > Cusco.',
        '7 > 9',
      ]);
      expect(added.piiReport.counts).toEqual({});

      const again = await api.request(build, { d: datasetId });
      expect((again.errors as Errors)?.[0]?.message).toMatch(
        /no new preference pairs .* \(7 already there\)/,
      );
      // A dataset that does not exist is the state's refusal: a user error naming the field, no GraphQL error.
      const before = await countEvents(database);
      const unknown = await api.request<{ m: Record<string, unknown> }>(
        'mutation { m: buildPreferenceRevision(datasetId: "nope") { revision eventTypes userErrors { code kind field } } }',
        {},
      );
      expect(unknown.errors).toBeUndefined();
      expect(unknown.data?.m).toEqual({
        revision: null,
        eventTypes: [],
        userErrors: [{ code: 'DATASET_NOT_FOUND', kind: 'NOT_FOUND', field: ['datasetId'] }],
      });
      expect(await countEvents(database)).toBe(before);
    });

    it('leaves out the rankings of a labeler who disagrees with the others (minAgreement), recording figures only', async () => {
      const engineer = (actor: string) => ({ actor, roles: ['engineer'] });
      const { datasetId } = await services.datasets.registerDataset(
        { name: 'agreement-prefs', format: 'preference' },
        engineer('ops'),
      );
      const prompt = async (text: string, answers: string[]) => {
        const made = await services.feedback.generateCandidates(
          { prompt: text, candidates: answers.map((answer) => ({ text: answer })) },
          engineer('ops'),
        );
        return { promptId: made.promptId, ids: made.candidateIds };
      };
      const rank = (promptId: string, ranking: string[], actor: string) =>
        services.feedback.rankPreference({ promptId, ranking }, engineer(actor));
      const shared = await prompt('Largest planet?', ['Jupiter.', 'Saturn.', 'Mars.']);
      const [jupiter, saturn, mars] = shared.ids as [string, string, string];
      await rank(shared.promptId, [jupiter, saturn, mars], 'ann');
      await rank(shared.promptId, [jupiter, saturn, mars], 'bo');
      await rank(shared.promptId, [mars, saturn, jupiter], 'cy');
      const alone = await prompt('Smallest prime?', ['2', '1']);
      await rank(alone.promptId, [alone.ids[1]!, alone.ids[0]!], 'cy');

      const build = (minAgreement: number | undefined) =>
        buildPreferenceRevision(
          { services, artifacts },
          {
            datasetId,
            promptIds: [shared.promptId, alone.promptId],
            evalFraction: 0,
            ...(minAgreement !== undefined ? { minAgreement } : {}),
          },
          engineer('ops'),
        );
      await expect(build(1.5)).rejects.toThrow(/minAgreement must be between -1 and 1/);
      // cy's tau: -1 against each of the two others; ann's and bo's: mean(1, -1) = 0, kept at 0.
      const built = await build(0);
      expect(built.counts).toMatchObject({
        rankedPrompts: 1,
        pairsAdded: 3,
        agreement: {
          prompts: 1,
          meanTau: expect.closeTo(-1 / 3, 12),
          labelers: 3,
          minAgreement: 0,
          excludedLabelers: 1,
          excludedRankings: 2,
        },
      });
      const added = (await api.store.readStream(`dataset-${datasetId}`)).at(-1)!;
      const pairs: { chosen: string; rejected: string }[] = [];
      for await (const record of readCanonicalRecords(
        artifacts,
        (added.data as { contentHash: string }).contentHash,
      ))
        pairs.push(record as never);
      expect(pairs.map((p) => `${p.chosen} > ${p.rejected}`)).toEqual([
        'Jupiter. > Saturn.',
        'Jupiter. > Mars.',
        'Saturn. > Mars.',
      ]);
      // The revision records figures, never who was left out.
      const transform = JSON.stringify((added.data as { transform: unknown }).transform);
      expect(transform).toContain('"excludedLabelers":1');
      expect(transform).not.toMatch(/"cy"|"ann"|"bo"/);

      // Without a threshold, cy's rankings count: its reversed pairs and its lone prompt.
      const all = await build(undefined);
      expect(all.counts).toMatchObject({
        rankedPrompts: 2,
        pairsAdded: 4,
        agreement: { minAgreement: null, excludedLabelers: 0, excludedRankings: 0 },
      });
    });
  });
}
