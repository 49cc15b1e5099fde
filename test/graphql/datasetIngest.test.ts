import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../src/data/index.js';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import { allProjections, ProjectionRunner } from '../../src/projections/index.js';
import { createServices, datasetIdForName, systemClock, uuidIds } from '../../src/services/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { startHarness, type Harness } from './harness.js';

const ingest = `mutation($input: DatasetIngestInput!) {
  m: ingestDataset(input: $input) { datasetId name revision registered unchanged contentHash recordCount format facts eventTypes checkpoint }
}`;
const augment = `mutation($input: AugmentationRequestInput!) {
  m: requestAugmentation(input: $input) { augmentationId datasetId baseRevision lexiconHash templates eventTypes }
}`;

type Errors = { message: string; extensions?: Record<string, unknown> & { code?: string } }[] | undefined;

const lines = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({ instruction: `List ${i + 2} prime numbers as JSON`, output: `[2, 3]` }),
  ).join('\n');

for (const target of databaseTargets) {
  describe(`GraphQL dataset ingestion (${target.name})`, () => {
    let database: TestDatabase;
    let api: Harness;
    let runner: ProjectionRunner;
    let importDir: string;

    beforeAll(async () => {
      database = await target.open();
      const dir = mkdtempSync(join(tmpdir(), 'tl-gql-ingest-'));
      importDir = join(dir, 'imports');
      mkdirSync(importDir);
      const store = new PostgresEventStore(database, { pollIntervalMs: 50 });
      runner = new ProjectionRunner({
        db: database.db,
        store,
        projections: allProjections,
        pollIntervalMs: 50,
      });
      runner.start();
      api = await startHarness(database, {
        services: createServices({ store, clock: systemClock, ids: uuidIds }),
        projections: runner,
        artifacts: new LocalArtifactStore(join(dir, 'artifacts')),
        datasetImportDir: importDir,
        piiKey: 'graphql-test-pii-key-0123',
      });
    });
    afterAll(async () => {
      await api?.close();
      await runner?.stop();
      await database?.close();
    });

    const call = async (query: string, input: Record<string, unknown>) => {
      const response = await api.request<{ m: Record<string, unknown> }>(query, { input });
      return { payload: response.data?.m, errors: response.errors as Errors };
    };

    it('ingests inline content, records the revision and reads its own write', async () => {
      const { payload, errors } = await call(ingest, {
        name: 'primes',
        domain: 'math',
        content: lines(4),
        allowSmallEvalSplit: true,
      });
      expect(errors).toBeUndefined();
      expect(payload).toMatchObject({
        name: 'primes',
        revision: 1,
        registered: true,
        unchanged: false,
        recordCount: 4,
        format: 'ALPACA',
        eventTypes: ['DatasetRegistered', 'DatasetRevisionAdded'],
      });
      const read = await api.request<{ dataset: { name: string } | null }>(
        'query($id: ID!) { dataset(datasetId: $id) { name } }',
        { id: payload!['datasetId'] },
      );
      expect(read.data?.dataset?.name).toBe('primes');

      const requested = await call(augment, {
        datasetId: payload!['datasetId'],
        seed: 3,
        count: 2,
        lexicon: {
          name: 'one',
          terms: [{ term: '高血压', category: 'medical', attributes: { en: 'hypertension' } }],
        },
      });
      expect(requested.errors).toBeUndefined();
      expect(requested.payload).toMatchObject({
        baseRevision: 1,
        eventTypes: ['AugmentationRequested'],
        templates: ['translate-en', 'explain-zh', 'solutions-zh', 'translate-zh', 'explain-en'],
      });
      expect(requested.payload!['lexiconHash']).toMatch(/^[0-9a-f]{64}$/);
      const recorded = (await api.store.readStream(`dataset-${payload!['datasetId']}`)).at(-1)!;
      expect(recorded.data).toMatchObject({ seed: 3, count: 2 });
    });

    it("answers the state's refusals as user errors with the field at fault, recording nothing", async () => {
      const withErrors = (query: string) =>
        query.replace(/eventTypes/, 'eventTypes eventIds checkpoint userErrors { code kind field message }');
      const unknown = await call(withErrors(augment), {
        datasetId: 'no-such-dataset',
        lexicon: { name: 'one', terms: [{ term: 'x', category: 'medical', attributes: {} }] },
      });
      expect(unknown.errors).toBeUndefined();
      expect(unknown.payload).toMatchObject({
        augmentationId: null,
        datasetId: null,
        lexiconHash: null,
        templates: [],
        eventTypes: [],
        eventIds: [],
        checkpoint: null,
        userErrors: [{ code: 'DATASET_NOT_FOUND', kind: 'NOT_FOUND', field: ['datasetId'] }],
      });

      const registered = await call(ingest, {
        name: 'archived-later',
        content: lines(4),
        allowSmallEvalSplit: true,
      });
      expect(registered.errors).toBeUndefined();
      const datasetId = registered.payload!['datasetId'] as string;
      const archived = await api.request(
        'mutation($d: ID!) { archiveDataset(datasetId: $d, reason: "superseded") { userErrors { code } } }',
        { d: datasetId },
      );
      expect(archived.errors).toBeUndefined();
      const streamBefore = await api.store.readStream(`dataset-${datasetId}`);

      const again = await call(withErrors(ingest), {
        name: 'archived-later',
        content: lines(6),
        allowSmallEvalSplit: true,
      });
      expect(again.errors).toBeUndefined();
      expect(again.payload).toMatchObject({
        datasetId: null,
        revision: null,
        eventTypes: [],
        userErrors: [{ code: 'DATASET_ARCHIVED', kind: 'CONFLICT', field: ['name'] }],
      });
      const flywheel = await api.request<{ m: Record<string, unknown> }>(
        'mutation($d: ID!) { m: buildFlywheelRevision(input: { datasetId: $d }) { revision added eventTypes userErrors { code kind field } } }',
        { d: datasetId },
      );
      expect(flywheel.errors).toBeUndefined();
      expect(flywheel.data?.m).toEqual({
        revision: null,
        added: null,
        eventTypes: [],
        userErrors: [{ code: 'DATASET_ARCHIVED', kind: 'CONFLICT', field: ['datasetId'] }],
      });
      expect(await api.store.readStream(`dataset-${datasetId}`)).toEqual(streamBefore);

      // Input the request itself gets wrong stays a GraphQL error (BAD_USER_INPUT), as for every mutation.
      const bad = await call(withErrors(ingest), { name: 'x', content: 'a', path: 'b' });
      expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('a strict ingest with invalid lines is BAD_USER_INPUT with every line in extensions.issues', async () => {
      const content = [lines(1), '{"instruction": "no output here"}', lines(1), '{"output": "x"'].join('\n');
      const { payload, errors } = await call(ingest, { name: 'broken', content });
      expect(payload).toBeUndefined();
      expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const issues = errors?.[0]?.extensions?.['issues'] as { line: number; field: string }[];
      expect(issues.map((issue) => issue.line)).toEqual([2, 4]);
      // Nothing was recorded: the name's dataset does not exist.
      const absent = await api.request<{ dataset: { name: string } | null }>(
        'query($id: ID!) { dataset(datasetId: $id) { name } }',
        { id: datasetIdForName('broken') },
      );
      expect(absent.errors).toBeUndefined();
      expect(absent.data?.dataset).toBeNull();
    });

    it('applies input.piiPolicy and records it in the revision piiReport; a bad policy is BAD_USER_INPUT', async () => {
      const content = JSON.stringify({
        instruction: 'Call 415.555.0199 or mail a@example.com',
        output: 'ok',
      });
      const { payload, errors } = await call(ingest, {
        name: 'pii-policy',
        content,
        piiPolicy: 'phone=pseudonymise,email=keep',
        allowSmallEvalSplit: true,
      });
      expect(errors).toBeUndefined();
      const read = await api.request<{
        dataset: { revisions: { edges: { node: { piiReport: unknown } }[] } };
      }>(
        'query($id: ID!) { dataset(datasetId: $id) { revisions(first: 1) { edges { node { piiReport } } } } }',
        { id: payload!['datasetId'] },
      );
      expect(read.data?.dataset.revisions.edges[0]?.node.piiReport).toMatchObject({
        counts: { phone: 1, email: 1 },
        policy: { phone: 'pseudonymise', email: 'keep', passport: 'redact' },
      });

      const bad = await call(ingest, { name: 'pii-bad-policy', content, piiPolicy: 'phone=hide' });
      expect(bad.payload).toBeUndefined();
      expect(bad.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        reason: 'PII_POLICY_INVALID',
      });
      const absent = await api.request<{ dataset: { name: string } | null }>(
        'query($id: ID!) { dataset(datasetId: $id) { name } }',
        { id: datasetIdForName('pii-bad-policy') },
      );
      expect(absent.data?.dataset).toBeNull();
    });

    it('refuses empty or whitespace-only content with its format given as EMPTY_DATASET, recording nothing', async () => {
      for (const content of ['', ' \n\t\n']) {
        const { payload, errors } = await call(ingest, { name: 'empty', format: 'ALPACA', content });
        expect(payload).toBeUndefined();
        expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(errors?.[0]?.extensions?.['reason']).toBe('EMPTY_DATASET');
        expect(errors?.[0]?.message).toMatch(/no records/);
      }
      expect(await api.store.readStream(`dataset-${datasetIdForName('empty')}`)).toEqual([]);
    });

    it('reads a path only inside the import directory', async () => {
      writeFileSync(join(importDir, 'big.jsonl'), `${lines(3)}\n`);
      const ok = await call(ingest, { name: 'from-file', path: 'big.jsonl', allowSmallEvalSplit: true });
      expect(ok.errors).toBeUndefined();
      expect(ok.payload).toMatchObject({ revision: 1, recordCount: 3 });
      const outside = await call(ingest, { name: 'escape', path: '../../etc/passwd' });
      expect(outside.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const both = await call(ingest, { name: 'both', path: 'big.jsonl', content: lines(1) });
      expect(both.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('refuses an eval split below its minimum with the numbers, or records it as a warning when allowed', async () => {
      const stream = (name: string) => api.store.readStream(`dataset-${datasetIdForName(name)}`);
      // 20 records at the default eval fraction 0.1 and seed 0: the hash split holds none out.
      const empty = await call(ingest, { name: 'no-eval', content: lines(20) });
      expect(empty.payload).toBeUndefined();
      expect(empty.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(empty.errors?.[0]?.extensions?.['reason']).toBe('EVAL_SPLIT_TOO_SMALL');
      expect(empty.errors?.[0]?.extensions?.['evalSplit']).toEqual({
        evalRecords: 0,
        recordCount: 20,
        minimum: 1,
        evalFraction: 0.1,
        seed: 0,
      });
      expect(await stream('no-eval')).toEqual([]);

      // 30 records at 0.2 with seed 1: one held out where half the expected 6 is 3.
      const small = { name: 'small-eval', content: lines(30), evalFraction: 0.2, seed: 1 };
      const refused = await call(ingest, small);
      expect(refused.errors?.[0]?.extensions?.['evalSplit']).toMatchObject({ evalRecords: 1, minimum: 3 });
      expect(refused.errors?.[0]?.message).toMatch(
        /eval split holds 1 of 30 records \(eval fraction 0.2, seed 1\); at least 3 are needed.*allowSmallEvalSplit/,
      );
      expect(await stream('small-eval')).toEqual([]);

      const accepted = await call(ingest, { ...small, allowSmallEvalSplit: true });
      expect(accepted.errors).toBeUndefined();
      const [, added] = await stream('small-eval');
      const data = added!.data as {
        splits: { eval: { recordCount: number } };
        transform: { params: Record<string, unknown> };
      };
      expect(data.splits.eval.recordCount).toBe(1);
      expect(data.transform.params['warnings']).toEqual([
        expect.stringMatching(/^the eval split holds 1 of 30 records .*; accepted with allowSmallEvalSplit$/),
      ]);

      // Seed 0 holds 9 of the same 30 out: no refusal, no warning.
      const enough = await call(ingest, { ...small, name: 'enough-eval', seed: 0 });
      expect(enough.errors).toBeUndefined();
      const [, fine] = await stream('enough-eval');
      expect((fine!.data as { transform: { params: object } }).transform.params).not.toHaveProperty(
        'warnings',
      );
    });
  });
}
