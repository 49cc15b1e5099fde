import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runAugmentationHere } from '../../src/app/datasets.js';
import { DatasetValidationError, LocalArtifactStore, type Lexicon } from '../../src/data/index.js';
import type { DatasetRevisionAdded } from '../../src/domain/index.js';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import {
  augmentationResult,
  createServices,
  datasetIdForName,
  ingestIntoPlatform,
  requestAugmentationInPlatform,
  systemClock,
  uuidIds,
  type Services,
} from '../../src/services/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';

const context = { actor: 'test:datasets' };
type Revision = DatasetRevisionAdded['data'];

/** Rows in the events table, read directly: readAll hides rows behind open transactions elsewhere. */
async function eventCount(database: TestDatabase): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM events`.execute(database.db);
  return rows[0]!.n;
}

/** Every file under a directory, recursively (to see what an ingest left in the artifact store). */
function filesUnder(dir: string): string[] {
  let out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    out = entry.isDirectory() ? out.concat(filesUnder(path)) : out.concat(path);
  }
  return out;
}

const alpaca = (i: number) =>
  JSON.stringify({
    instruction: `Translate sentence number ${i} into French`,
    input: `Good morning ${i}`,
    output: `Bonjour ${i}`,
  });

const lexicon: Lexicon = {
  name: 'tiny',
  version: 1,
  terms: [
    { term: '高血压', category: 'medical/disease', attributes: { en: 'hypertension' } },
    {
      term: '合同',
      category: 'legal/contract',
      attributes: { en: 'contract', definition: '当事人之间设立民事关系的协议' },
    },
    { term: 'escrow', category: 'finance/service', attributes: {} },
  ],
};

for (const target of databaseTargets) {
  describe(`datasets through the platform (${target.name})`, () => {
    let database: TestDatabase;
    let store: PostgresEventStore;
    let services: Services;
    let dir: string;
    let artifacts: LocalArtifactStore;

    beforeAll(async () => {
      database = await target.open();
      store = new PostgresEventStore(database, { pollIntervalMs: 50 });
      services = createServices({ store, clock: systemClock, ids: uuidIds });
    });
    afterAll(async () => {
      await store?.close();
      await database?.close();
    });
    beforeEach(async () => {
      await database.reset();
      dir = mkdtempSync(join(tmpdir(), 'tl-datasets-'));
      artifacts = new LocalArtifactStore(join(dir, 'artifacts'));
    });

    it('stores the revision, then records DatasetRegistered and DatasetRevisionAdded with its facts', async () => {
      const file = join(dir, 'qa.jsonl');
      writeFileSync(file, `${[1, 2, 3, 4, 5].map(alpaca).join('\n')}\n`);
      const progress: number[] = [];
      const outcome = await ingestIntoPlatform(
        { services, artifacts },
        {
          source: file,
          name: 'qa',
          domain: 'general',
          allowSmallEvalSplit: true,
          onProgress: (p) => progress.push(p.linesRead),
        },
        context,
      );
      expect(outcome).toMatchObject({
        datasetId: datasetIdForName('qa'),
        revision: 1,
        registered: true,
        unchanged: false,
      });
      expect(progress.at(-1)).toBe(5);

      const events = await store.readStream(`dataset-${outcome.datasetId}`);
      expect(events.map((e) => e.type)).toEqual(['DatasetRegistered', 'DatasetRevisionAdded']);
      const added = events[1]!.data as Revision;
      // Independently: the stored revision is 5 canonical lines whose sha256 is the recorded content hash.
      const stored = readFileSync(
        filesUnder(join(dir, 'artifacts')).find((f) => f.endsWith(added.contentHash))!,
      );
      expect(createHash('sha256').update(stored).digest('hex')).toBe(added.contentHash);
      expect(stored.toString('utf8').trim().split('\n')).toHaveLength(5);
      expect(added).toMatchObject({
        revision: 1,
        recordCount: 5,
        byteSize: stored.length,
        transform: { kind: 'ingest' },
      });
      expect(added.splits.train.recordCount + added.splits.eval!.recordCount).toBe(5);
      expect((events[0]!.data as { format: string }).format).toBe('alpaca');

      // The same content again appends nothing; new content under the same name is revision 2.
      const again = await ingestIntoPlatform(
        { services, artifacts },
        { source: file, name: 'qa', allowSmallEvalSplit: true },
        context,
      );
      expect(again).toMatchObject({ revision: 1, unchanged: true });
      writeFileSync(file, `${[1, 2, 3, 4, 5, 6].map(alpaca).join('\n')}\n`);
      const second = await ingestIntoPlatform(
        { services, artifacts },
        { source: file, name: 'qa', allowSmallEvalSplit: true },
        context,
      );
      expect(second).toMatchObject({ datasetId: outcome.datasetId, revision: 2, registered: false });
      expect((await store.readStream(`dataset-${outcome.datasetId}`)).map((e) => e.type)).toEqual([
        'DatasetRegistered',
        'DatasetRevisionAdded',
        'DatasetRevisionAdded',
      ]);
    });

    it('a strict ingest with invalid lines throws every line error and leaves the log and the store untouched', async () => {
      const file = join(dir, 'bad.jsonl');
      writeFileSync(
        file,
        [alpaca(1), '{"instruction":"Summarise this"}', alpaca(3), 'not json', alpaca(5)].join('\n') + '\n',
      );
      const before = await eventCount(database);
      const error = await ingestIntoPlatform(
        { services, artifacts },
        { source: file, name: 'bad', allowSmallEvalSplit: true },
        context,
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatasetValidationError);
      expect((error as DatasetValidationError).issues.map((i) => i.line)).toEqual([2, 4]);
      expect(await eventCount(database)).toBe(before);
      const stored = filesUnder(join(dir, 'artifacts')).filter((f) => f.includes('sha256'));
      expect(stored).toEqual([]);

      // Lenient keeps the 3 valid records and reports the 2 lines in the event's quality report.
      const lenient = await ingestIntoPlatform(
        { services, artifacts },
        { source: file, name: 'bad', lenient: true, allowSmallEvalSplit: true },
        context,
      );
      const added = (await store.readStream(`dataset-${lenient.datasetId}`))[1]!.data as Revision;
      expect(added.recordCount).toBe(3);
      expect(added.qualityReport.rejected.map((r) => r.line)).toEqual([2, 4]);
    });

    it('an augmentation job produces revision 2 with parent 1 and records how', async () => {
      const file = join(dir, 'base.jsonl');
      writeFileSync(file, `${[1, 2, 3, 4].map(alpaca).join('\n')}\n`);
      const base = await ingestIntoPlatform(
        { services, artifacts },
        { source: file, name: 'base', allowSmallEvalSplit: true },
        context,
      );
      const requested = await requestAugmentationInPlatform(
        { services, artifacts },
        { datasetId: base.datasetId, lexicon, seed: 7 },
        context,
      );
      expect(requested.baseRevision).toBe(1);
      const result = await runAugmentationHere(
        { services, artifacts, store, db: database.db },
        base.datasetId,
        requested.augmentationId,
        { timeoutMs: 30_000 },
      );
      // Default templates x this lexicon: translate-en fits 高血压 and 合同, explain-zh fits 合同: 3 records.
      expect(result).toMatchObject({ status: 'completed', resultingRevision: 2, recordsAdded: 3 });
      const events = await store.readStream(`dataset-${base.datasetId}`);
      expect(events.map((e) => e.type)).toEqual([
        'DatasetRegistered',
        'DatasetRevisionAdded',
        'AugmentationRequested',
        'DatasetRevisionAdded',
        'AugmentationCompleted',
      ]);
      const revision2 = events[3]!.data as Revision;
      const lexiconSha = createHash('sha256')
        .update(
          readFileSync(filesUnder(join(dir, 'artifacts')).find((f) => f.endsWith(requested.lexiconHash))!),
        )
        .digest('hex');
      expect(lexiconSha).toBe(requested.lexiconHash);
      expect(revision2).toMatchObject({
        revision: 2,
        parentRevision: 1,
        recordCount: 4 + 3,
        transform: {
          kind: 'augment',
          params: { seed: 7, lexiconHash: requested.lexiconHash, copied: 4, generated: 3 },
        },
      });
      expect(revision2.transform.params.templates).toEqual([
        'translate-en',
        'explain-zh',
        'solutions-zh',
        'translate-zh',
        'explain-en',
      ]);
      // The job is finished in the jobs table.
      const job = await database.db
        .selectFrom('jobs' as never)
        .selectAll()
        .where('job_id' as never, '=', `augment-${requested.augmentationId}` as never)
        .executeTakeFirst();
      expect((job as { status: string }).status).toBe('succeeded');
    });

    it('a worker that cannot load the lexicon records AugmentationFailed with the reason', async () => {
      const file = join(dir, 'base.jsonl');
      writeFileSync(file, `${alpaca(1)}\n`);
      const base = await ingestIntoPlatform(
        { services, artifacts },
        { source: file, name: 'base', allowSmallEvalSplit: true },
        context,
      );
      const requested = await requestAugmentationInPlatform(
        { services, artifacts },
        {
          datasetId: base.datasetId,
          lexicon,
          templates: [{ id: 'custom', pattern: '{input}?{response}', response: '{en}' }],
        },
        context,
      );
      expect(requested.templates[0]).toContain('"pattern"');
      const elsewhere = new LocalArtifactStore(join(dir, 'other-store'));
      const result = await runAugmentationHere(
        { services, artifacts: elsewhere, store, db: database.db },
        base.datasetId,
        requested.augmentationId,
        { timeoutMs: 30_000 },
      );
      expect(result.status).toBe('failed');
      expect((result as { reason: string }).reason).toMatch(
        /lexicon .* is not in this worker's artifact store/,
      );
      expect(await augmentationResult(store, base.datasetId, requested.augmentationId)).toEqual(result);
      expect(statSync(join(dir, 'artifacts')).isDirectory()).toBe(true);
      rmSync(dir, { recursive: true, force: true });
    });
  });
}
