/**
 * Held-out data stays held out along a dataset's lineage: ingested at eval fraction 0.2, augmented twice with a
 * lexicon whose generated records repeat some of the ingested ones, then extended by the flywheel with
 * production answers to eval questions. No eval record, nor anything made from one, reaches a train split or
 * what the training worker reads to build its batches.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LocalArtifactStore,
  readCanonicalRecords,
  type DatasetRecord,
  type Lexicon,
} from '../../src/data/index.js';
import type { DatasetRevisionAdded } from '../../src/domain/index.js';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import { allProjections, ProjectionRunner } from '../../src/projections/index.js';
import {
  augmentationResult,
  createServices,
  systemClock,
  uuidIds,
  type Services,
} from '../../src/services/index.js';
import { augmentationJobHandler } from '../../src/workers/augmentation/index.js';
import {
  defaultTrainingStages,
  prepareStageRecords,
  readTrainSplit,
  runWorker,
  selectRecords,
  type WorkerHandle,
} from '../../src/workers/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { startHarness, type Harness } from './harness.js';

type Errors = { message: string; extensions?: { code?: string } }[] | undefined;
const worker = { actor: 'serving', roles: ['worker'] };

const TERMS = Array.from({ length: 24 }, (_, i) => ({ term: `术语${i + 1}号`, en: `term number ${i + 1}` }));
/** What the translate-en template makes of a term: the instruction before `{response}`, the `en` attribute. */
const translation = (t: { term: string; en: string }) => ({
  instruction: `将${t.term}翻译成英文`,
  output: t.en,
});
const lexicon: Lexicon = {
  name: 'numbered-terms',
  version: 1,
  terms: TERMS.map((t) => ({ term: t.term, category: 'test/term', attributes: { en: t.en } })),
};
/** 24 records the augmentation will generate again, and 6 others. */
const INGESTED = [
  ...TERMS.map(translation),
  ...Array.from({ length: 6 }, (_, i) => ({
    instruction: `Explain rule ${i + 1} of the handbook in one sentence.`,
    output: `Rule ${i + 1} says to check twice.`,
  })),
];

const question = (record: DatasetRecord) => record.messages.findLast((m) => m.role === 'user')!.content;
const answer = (record: DatasetRecord) => record.messages.at(-1)!.content;

for (const target of databaseTargets) {
  describe(`held-out data along a dataset's lineage (${target.name})`, () => {
    let database: TestDatabase;
    let api: Harness;
    let runner: ProjectionRunner;
    let services: Services;
    let artifacts: LocalArtifactStore;
    let augmenter: WorkerHandle;

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
      artifacts = new LocalArtifactStore(join(mkdtempSync(join(tmpdir(), 'tl-held-out-')), 'artifacts'));
      api = await startHarness(database, { services, projections: runner, artifacts });
      augmenter = runWorker({
        kinds: ['augment'],
        handlers: { augment: augmentationJobHandler({ services, artifacts }) },
        db: database.db,
        pollMs: 50,
        maxFailures: 1,
      });
    });
    afterAll(async () => {
      await augmenter?.stop();
      await api?.close();
      await runner?.stop();
      await database?.close();
    });

    const mutate = async (query: string, variables: Record<string, unknown>) => {
      const response = await api.request<{ m: Record<string, unknown> }>(query, variables);
      expect(response.errors as Errors).toBeUndefined();
      return response.data!.m;
    };
    const revisions = async (datasetId: string) =>
      (await api.store.readStream(`dataset-${datasetId}`))
        .filter((event) => event.type === 'DatasetRevisionAdded')
        .map((event) => event.data as DatasetRevisionAdded['data']);
    const records = async (hash: string) => {
      const out: DatasetRecord[] = [];
      for await (const record of readCanonicalRecords(artifacts, hash)) out.push(record);
      return out;
    };
    const augment = async (datasetId: string, seed: number) => {
      const requested = await mutate(
        `mutation($input: AugmentationRequestInput!) { m: requestAugmentation(input: $input) { augmentationId } }`,
        { input: { datasetId, lexicon, seed } },
      );
      for (;;) {
        const result = await augmentationResult(api.store, datasetId, requested['augmentationId'] as string);
        if (result) return result;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };

    it('keeps every eval record and its derivatives out of every train split and out of training batches', async () => {
      const ingested = await mutate(
        'mutation($input: DatasetIngestInput!) { m: ingestDataset(input: $input) { datasetId revision } }',
        {
          input: {
            name: 'numbered-terms',
            content: INGESTED.map((row) => JSON.stringify(row)).join('\n'),
            evalFraction: 0.2,
          },
        },
      );
      const datasetId = ingested['datasetId'] as string;
      const [first] = await revisions(datasetId);
      const heldOut = await records(first!.splits.eval!.hash);
      const trained = await records(first!.splits.train.hash);
      expect(heldOut.length).toBeGreaterThanOrEqual(3);
      const heldOutTerms = TERMS.filter((t) =>
        heldOut.some((r) => question(r) === translation(t).instruction),
      );
      const trainedTerms = TERMS.filter((t) =>
        trained.some((r) => question(r) === translation(t).instruction),
      );
      expect(heldOutTerms.length).toBeGreaterThanOrEqual(2);

      // Twice: each generates the 24 translations again, one for every ingested one.
      for (const seed of [5, 6]) {
        const result = await augment(datasetId, seed);
        expect(result).toMatchObject({ status: 'completed', recordsAdded: 24 });
      }

      // Production answers: one repeats an eval record word for word, one corrects the answer to another eval
      // question, one answers a trained question.
      const serve = async (interactionId: string, prompt: string, response: string) =>
        services.feedback.recordInteraction(
          {
            interactionId,
            deploymentName: 'prod',
            model: { name: 'terms', version: 1 },
            prompt,
            response,
            latencyMs: 10,
            tokens: { prompt: 5, completion: 3 },
          },
          worker,
        );
      const label = (interactionId: string, label: Record<string, unknown>) =>
        mutate(
          'mutation($i: ID!, $l: FeedbackLabelInput!) { m: labelFeedback(interactionId: $i, label: $l) { id } }',
          {
            i: interactionId,
            l: label,
          },
        );
      const [evalA, evalB] = heldOutTerms.map(translation);
      const trainA = translation(trainedTerms[0]!);
      await serve('i-copy', `user: ${evalA!.instruction}`, evalA!.output);
      await label('i-copy', { thumbs: 'UP' });
      await serve('i-fixed', `user: ${evalB!.instruction}`, 'no idea');
      await label('i-fixed', { correction: `${evalB!.output}, corrected` });
      await serve('i-train', `user: ${trainA.instruction}`, `${trainA.output}, in short`);
      await label('i-train', { rating: 5 });
      const built = await mutate(
        'mutation($input: FlywheelRevisionInput!) { m: buildFlywheelRevision(input: $input) { revision added } }',
        { input: { datasetId, deploymentName: 'prod' } },
      );
      expect(built).toEqual({ revision: 4, added: 3 });

      const lineage = await revisions(datasetId);
      expect(lineage.map((r) => [r.revision, r.transform.kind, r.recordCount])).toEqual([
        [1, 'ingest', 30],
        [2, 'augment', 54],
        [3, 'augment', 78],
        [4, 'flywheel', 81],
      ]);
      // Every question ever held out, in any revision; and what each revision trains on.
      const evalQuestions = new Set<string>();
      const trainSplits: DatasetRecord[][] = [];
      for (const revision of lineage) {
        const evalRecords = await records(revision.splits.eval!.hash);
        for (const record of evalRecords) evalQuestions.add(question(record));
        // The eval split only grows: every record held out before is held out again (annotations aside).
        for (const record of heldOut) {
          expect(
            evalRecords.some((r) => question(r) === question(record) && answer(r) === answer(record)),
          ).toBe(true);
        }
        trainSplits.push(await records(revision.splits.train.hash));
      }
      for (const split of trainSplits) {
        expect(split.filter((record) => evalQuestions.has(question(record)))).toEqual([]);
      }
      // The flywheel's copy and correction of eval questions are eval; the trained question's answer is train.
      const flywheelEval = await records(lineage[3]!.splits.eval!.hash);
      expect(flywheelEval.filter((r) => question(r) === evalB!.instruction).map(answer)).toContain(
        `${evalB!.output}, corrected`,
      );
      expect(trainSplits[3]!.filter((r) => question(r) === trainA.instruction).map(answer)).toContain(
        `${trainA.output}, in short`,
      );

      // What the training worker reads for a run on the flywheel revision, and the stage records it batches.
      const fed = await readTrainSplit(artifacts, lineage[3]!);
      expect(fed).toHaveLength(trainSplits[3]!.length);
      expect(fed.length + flywheelEval.length).toBe(81);
      for (const [stageIndex, stage] of defaultTrainingStages().entries()) {
        const prepared = prepareStageRecords(selectRecords(fed, stage.datasetFilter), stage, {
          lexiconTerms: [],
          seed: 1,
          stageIndex,
        });
        expect(prepared.length).toBeGreaterThan(0);
        expect(prepared.filter((p) => evalQuestions.has(p.record.instruction))).toEqual([]);
        expect(prepared.filter((p) => flywheelEval.some((r) => answer(r) === p.record.output))).toEqual([]);
      }
    });
  });
}
