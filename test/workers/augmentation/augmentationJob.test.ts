import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TEMPLATES, LocalArtifactStore, type Lexicon } from '../../../src/data/index.js';
import type { DatasetRevisionAdded } from '../../../src/domain/index.js';
import { PostgresEventStore } from '../../../src/eventstore/index.js';
import { jobsProjection, ProjectionRunner } from '../../../src/projections/index.js';
import {
  createServices,
  ingestIntoPlatform,
  requestAugmentationInPlatform,
  resolveTemplateReferences,
  systemClock,
  templateReferences,
  uuidIds,
  type Services,
} from '../../../src/services/index.js';
import { augmentationJobHandler } from '../../../src/workers/augmentation/index.js';
import { claimNextJob, type JobContext } from '../../../src/workers/index.js';
import { databaseTargets, type TestDatabase } from '../../support/databases.js';

const lexicon: Lexicon = {
  name: 'finance',
  version: 1,
  terms: ['利率', '汇率', '通胀', '债券'].map((term, i) => ({
    term,
    category: 'finance/term',
    attributes: { en: ['interest rate', 'exchange rate', 'inflation', 'bond'][i]! },
  })),
};

describe('template references', () => {
  it('name default templates by id and carry custom ones whole', () => {
    const custom = {
      id: 'ask',
      pattern: '什么是{input}?{response}',
      response: '{en}',
      categories: ['finance'],
    };
    const references = templateReferences([DEFAULT_TEMPLATES[0]!, custom]);
    expect(references[0]).toBe('translate-en');
    expect(resolveTemplateReferences(references)).toEqual([DEFAULT_TEMPLATES[0], custom]);
    // A changed default is no longer the default: it travels whole.
    expect(templateReferences([{ ...DEFAULT_TEMPLATES[0]!, response: '{zh}' }])[0]).toContain('"{zh}"');
    expect(() => resolveTemplateReferences(['translate-fr'])).toThrow(
      /"translate-fr" is not a default template/,
    );
  });
});

for (const target of databaseTargets) {
  describe(`augment jobs (${target.name})`, () => {
    let database: TestDatabase;
    let store: PostgresEventStore;
    let services: Services;
    let artifacts: LocalArtifactStore;
    let datasetId: string;

    beforeAll(async () => {
      database = await target.open();
      store = new PostgresEventStore(database, { pollIntervalMs: 50 });
      services = createServices({ store, clock: systemClock, ids: uuidIds });
      const dir = mkdtempSync(join(tmpdir(), 'tl-augment-job-'));
      artifacts = new LocalArtifactStore(join(dir, 'artifacts'));
      const file = join(dir, 'base.jsonl');
      writeFileSync(
        file,
        `${JSON.stringify({ instruction: 'Define a bond in one sentence', output: 'A loan.' })}\n`,
      );
      datasetId = (
        await ingestIntoPlatform(
          { services, artifacts },
          { source: file, name: 'fin', allowSmallEvalSplit: true },
          { actor: 't' },
        )
      ).datasetId;
    });
    afterAll(async () => {
      await store?.close();
      await database?.close();
    });

    /** Requests an augmentation, projects it into the jobs table and claims it as this test's worker. */
    async function claimed(seed: number, count?: number) {
      await requestAugmentationInPlatform(
        { services, artifacts },
        { datasetId, revision: 1, lexicon, seed, ...(count !== undefined ? { count } : {}) },
        { actor: 't' },
      );
      const runner = new ProjectionRunner({ db: database.db, store, projections: [jobsProjection] });
      for (let tries = 0; tries < 100; tries++) {
        await runner.catchUp();
        const job = await claimNextJob(database.db, { kinds: ['augment'], workerId: 'w1', leaseMs: 30_000 });
        if (job) return job;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error('the augment job never appeared in the jobs table');
    }

    const jobContext: JobContext = {
      workerId: 'w1',
      leaseMs: 30_000,
      signal: new AbortController().signal,
      log: { info() {}, warn() {} },
    };
    const revisions = async () =>
      (await store.readStream(`dataset-${datasetId}`))
        .filter((e) => e.type === 'DatasetRevisionAdded')
        .map((e) => e.data as DatasetRevisionAdded['data']);

    it('records one revision per job even when the job runs twice, deterministically for a seed', async () => {
      const handler = augmentationJobHandler({ services, artifacts });
      const first = await claimed(11);
      expect(await handler.run(first, jobContext)).toEqual({ status: 'succeeded' });
      const length = (await store.readStream(`dataset-${datasetId}`)).length;
      expect(await handler.run(first, jobContext)).toEqual({ status: 'succeeded' });
      expect((await store.readStream(`dataset-${datasetId}`)).length).toBe(length);

      // Same seed and base: the same content; another seed shuffles the 4 generated records differently.
      await handler.run(await claimed(11), jobContext);
      await handler.run(await claimed(12), jobContext);
      const [, seed11, again11, seed12] = await revisions();
      expect(seed11!.recordCount).toBe(1 + 4);
      expect(again11!.contentHash).toBe(seed11!.contentHash);
      expect(seed12!.contentHash).not.toBe(seed11!.contentHash);
      expect([seed11, again11, seed12].map((r) => r!.parentRevision)).toEqual([1, 1, 1]);
    });

    it('generates at most the requested count of records', async () => {
      const handler = augmentationJobHandler({ services, artifacts });
      const job = await claimed(13, 2);
      expect(await handler.run(job, jobContext)).toEqual({ status: 'succeeded' });
      const requested = (await store.readStream(`dataset-${datasetId}`)).filter(
        (e) => e.type === 'AugmentationRequested',
      );
      expect((requested.at(-1)!.data as { count?: number }).count).toBe(2);
      expect((await revisions()).at(-1)!.recordCount).toBe(1 + 2);
    });
  });
}
