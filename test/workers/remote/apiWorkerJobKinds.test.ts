/**
 * The other job kinds on a worker with no database and no shared disk (`tuneledger worker --api`): the
 * platform in this process, one worker process that speaks only HTTP, with its own data directory. It
 * augments a dataset (lexicon and base revision downloaded through the artifact routes, the new revision's
 * files pushed back), fails an augmentation whose base content the platform does not have, makes two
 * deployments live and rolls one back, every outcome recorded under the worker's actor. Once with a local
 * artifact store, once with an S3 store on a real S3-protocol server (s3rver).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore, type ArtifactStore, type Lexicon } from '../../../src/data/index.js';
import { datasetStream, deploymentStream, type DatasetRevisionAdded } from '../../../src/domain/index.js';
import { PostgresEventStore, type RecordedEvent } from '../../../src/eventstore/index.js';
import { allProjections, ProjectionRunner } from '../../../src/projections/index.js';
import {
  createServices,
  ingestIntoPlatform,
  requestAugmentationInPlatform,
  systemClock,
  uuidIds,
  type Services,
} from '../../../src/services/index.js';
import { startHarness, type Harness } from '../../graphql/harness.js';
import { pgliteTarget, type TestDatabase } from '../../support/databases.js';
import { completeRun, datasetWithRevision, requestRun } from '../../support/lifecycle.js';
import { hash } from '../../domain/support.js';
import { bundle } from '../support.js';
import { platformStores } from '../platformStores.js';

const admin = { actor: 'ana', roles: ['admin'] };
const trainer = { actor: 'trainer', roles: ['worker'] };

const lexicon: Lexicon = {
  name: 'finance',
  version: 1,
  terms: ['利率', '汇率', '通胀', '债券'].map((term, i) => ({
    term,
    category: 'finance/term',
    attributes: { en: ['interest rate', 'exchange rate', 'inflation', 'bond'][i]! },
  })),
};

for (const platformStore of platformStores)
  describe(`API-only worker, ${platformStore.name}: augment, deploy and rollback jobs`, () => {
    let database: TestDatabase;
    let store: PostgresEventStore;
    let services: Services;
    let runner: ProjectionRunner;
    let api: Harness;
    let root: string;
    let artifacts: ArtifactStore;
    let closeStore: () => Promise<void>;
    let worker: { actor: string; child: ChildProcess; dataDir: string };
    let datasetId: string;

    beforeAll(async () => {
      root = mkdtempSync(join(tmpdir(), 'tl-api-worker-kinds-'));
      database = await pgliteTarget.open();
      store = new PostgresEventStore(database, { pollIntervalMs: 50 });
      // The versions to deploy are never loaded (no serving here): their runs' base model need not exist.
      services = createServices({
        store,
        clock: systemClock,
        ids: uuidIds,
        baseModelCheck: async () => true,
      });
      runner = new ProjectionRunner({
        db: database.db,
        store,
        projections: allProjections,
        pollIntervalMs: 50,
      });
      runner.start();
      ({ artifacts, close: closeStore } = await platformStore.open(root));
      api = await startHarness(database, { services, projections: runner, artifacts });

      // A dataset whose content is in the platform's store only: the worker downloads it by hash.
      const file = join(root, 'base.jsonl');
      writeFileSync(
        file,
        `${JSON.stringify({ instruction: 'Define a bond in one sentence', output: 'A loan.' })}\n`,
      );
      datasetId = (
        await ingestIntoPlatform(
          { services, artifacts },
          { source: file, name: 'fin', allowSmallEvalSplit: true },
          admin,
        )
      ).datasetId;
      // Two registered versions of a model to deploy.
      await datasetWithRevision(services, 'chat', admin);
      for (const runId of ['r1', 'r2']) {
        await requestRun(services, runId, 'chat', admin);
        await completeRun(services, runId, trainer, hash(`adapter-${runId}`));
        await services.models.registerModelVersion({ modelName: 'qa-model', runId }, admin);
      }

      const childEntry = await bundle('test/workers/apiWorkerChild.ts', 'apiWorkerChild');
      const actor = 'edge-box';
      const { token } = await api.server.tokens.create({ actor, roles: ['worker'], createdBy: 'test' });
      const dataDir = join(root, actor);
      const child = spawn(process.execPath, [childEntry], {
        env: {
          PATH: process.env.PATH,
          API_URL: new URL('/', api.server.url).href,
          WORKER_TOKEN: token,
          WORKER_DATA_DIR: dataDir,
          WORKER_KINDS: 'augment,deploy,rollback',
          LEASE_MS: '30000',
          ...(process.env.WORKER_LOG ? { WORKER_LOG: process.env.WORKER_LOG } : {}),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('worker ready')) resolve();
        });
        child.once('exit', (code) =>
          reject(new Error(`worker ${actor} exited (${code}) before it was ready`)),
        );
      });
      worker = { actor, child, dataDir };
    }, 120_000);
    afterAll(async () => {
      if (worker?.child.exitCode === null) worker.child.kill('SIGKILL');
      await api?.close();
      await runner?.stop();
      await database?.close();
      await closeStore?.();
    });

    const ofType = (events: readonly RecordedEvent[], type: string) => events.filter((e) => e.type === type);
    const settled = async (streamId: string, types: readonly string[], count: number) => {
      await expect
        .poll(async () => (await store.readStream(streamId)).filter((e) => types.includes(e.type)).length, {
          timeout: 120_000,
          interval: 100,
        })
        .toBe(count);
      return store.readStream(streamId);
    };

    it('augments a dataset it downloads, pushes the new revision and records it under its actor', async () => {
      await requestAugmentationInPlatform(
        { services, artifacts },
        { datasetId, revision: 1, lexicon, seed: 11 },
        admin,
      );
      const events = await settled(
        datasetStream(datasetId),
        ['AugmentationCompleted', 'AugmentationFailed'],
        1,
      );
      expect(ofType(events, 'AugmentationFailed')).toEqual([]);
      const [base, added] = ofType(events, 'DatasetRevisionAdded');
      expect(added!.metadata.actor).toBe(worker.actor);
      const revision = added!.data as DatasetRevisionAdded['data'];
      expect(revision.parentRevision).toBe(1);
      expect(revision.recordCount).toBe(1 + 4);
      // The base came through the artifact routes into the worker's own cache; what it made is on the platform.
      const cache = new LocalArtifactStore(join(worker.dataDir, 'artifacts'));
      expect(await cache.has((base!.data as DatasetRevisionAdded['data']).contentHash)).toBe(true);
      const pushed = [revision.contentHash, ...Object.values(revision.splits).map((split) => split!.hash)];
      for (const artifactHash of pushed) expect(await artifacts.has(artifactHash)).toBe(true);
      const lines = (await artifacts.get(revision.contentHash)).toString().split('\n').filter(Boolean);
      expect(lines.length).toBe(revision.recordCount);
    }, 180_000);

    it('fails an augmentation whose base content the platform does not have, with the reason', async () => {
      // The 'chat' dataset's revision names a content hash that no store holds.
      await requestAugmentationInPlatform(
        { services, artifacts },
        { datasetId: 'chat', revision: 1, lexicon, seed: 1 },
        admin,
      );
      const events = await settled(datasetStream('chat'), ['AugmentationCompleted', 'AugmentationFailed'], 1);
      const [failed] = ofType(events, 'AugmentationFailed');
      expect(failed?.metadata.actor).toBe(worker.actor);
      expect((failed!.data as { reason: string }).reason).toMatch(/is not in this worker's artifact store/);
      expect(ofType(events, 'DatasetRevisionAdded')).toHaveLength(1);
    }, 180_000);

    it('makes deployments live and rolls one back, then stops cleanly on SIGTERM', async () => {
      const stream = deploymentStream('prod');
      for (const version of [1, 2]) {
        await services.deployments.requestDeployment(
          { deploymentName: 'prod', model: { name: 'qa-model', version }, environment: 'production' },
          admin,
        );
        await settled(stream, ['DeploymentActivated'], version);
      }
      const activated = ofType(await store.readStream(stream), 'DeploymentActivated');
      expect(activated.map((e) => e.metadata.actor)).toEqual([worker.actor, worker.actor]);
      expect((await services.deployments.getDeployment('prod')).active?.model).toEqual({
        name: 'qa-model',
        version: 2,
      });

      await services.deployments.requestRollback(
        { deploymentName: 'prod', toVersion: 1, reason: 'worse answers' },
        admin,
      );
      const events = await settled(stream, ['RolledBack'], 1);
      expect(ofType(events, 'RolledBack')[0]!.metadata.actor).toBe(worker.actor);
      expect((await services.deployments.getDeployment('prod')).active?.model).toEqual({
        name: 'qa-model',
        version: 1,
      });

      worker.child.kill('SIGTERM');
      expect(await new Promise((resolve) => worker.child.once('exit', resolve))).toBe(0);
    }, 180_000);
  });
