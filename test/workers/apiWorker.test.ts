/**
 * Workers with no database and no shared disk (`tuneledger worker --api`): the platform in this process,
 * two worker processes that speak only HTTP, each with its own data directory; one trains, the other
 * evaluates. The trainer is killed (SIGKILL) mid-run; the evaluator takes the run over from the checkpoint
 * it downloads, the adapter it completes with has the same hash as an uninterrupted run with the same
 * seed, and it evaluates the registered version (outputs uploaded, scored records labeled). Once with a
 * local artifact store, once with an S3 store on a real S3-protocol server (s3rver), where every download
 * is a presigned URL the API redirects to.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { LocalArtifactStore, type ArtifactStore } from '../../src/data/index.js';
import { evaluationInteractionId, evaluationStream, interactionStream } from '../../src/domain/index.js';
import { PostgresEventStore, type RecordedEvent } from '../../src/eventstore/index.js';
import { allProjections, ProjectionRunner } from '../../src/projections/index.js';
import { createServices, systemClock, uuidIds, type Services } from '../../src/services/index.js';
import { packTar, TAR_MEDIA_TYPE } from '../../src/workers/index.js';
import { startHarness, type Harness } from '../graphql/harness.js';
import { pgliteTarget, type TestDatabase } from '../support/databases.js';
import { bundle, capitalRecords, registerDataset, writeTinyModel } from './support.js';
import { platformStores } from './platformStores.js';

const admin = { actor: 'ana', roles: ['admin'] };

for (const platformStore of platformStores)
  describe(`API-only workers, ${platformStore.name}: SIGKILL mid-run, take-over from the downloaded checkpoint, evaluation`, () => {
    let database: TestDatabase;
    let store: PostgresEventStore;
    let services: Services;
    let runner: ProjectionRunner;
    let api: Harness;
    let root: string;
    let baseModelHash: string;
    let threadEntry: string;
    let evaluationThreadEntry: string;
    let childEntry: string;
    let artifacts: ArtifactStore;
    let closeStore: () => Promise<void>;
    const children: ChildProcess[] = [];

    beforeAll(async () => {
      root = mkdtempSync(join(tmpdir(), 'tl-api-worker-'));
      database = await pgliteTarget.open();
      store = new PostgresEventStore(database, { pollIntervalMs: 50 });
      services = createServices({ store, clock: systemClock, ids: uuidIds });
      runner = new ProjectionRunner({
        db: database.db,
        store,
        projections: allProjections,
        pollIntervalMs: 50,
      });
      runner.start();
      ({ artifacts, close: closeStore } = await platformStore.open(root));
      api = await startHarness(database, { services, projections: runner, artifacts });
      // The base model lives in the platform's store only: the workers download it by hash.
      const modelDir = await writeTinyModel(join(root, 'tiny'));
      const tar = packTar(
        readdirSync(modelDir).map((name) => ({ name, data: readFileSync(join(modelDir, name)) })),
      );
      baseModelHash = (await artifacts.put(tar, TAR_MEDIA_TYPE)).hash;
      await registerDataset(services, artifacts, admin, 'capitals', capitalRecords(), { evalSplit: true });
      threadEntry = await bundle('src/workers/training/trainingThread.ts', 'trainingThread');
      evaluationThreadEntry = await bundle('src/workers/evaluation/evaluationThread.ts', 'evaluationThread');
      childEntry = await bundle('test/workers/apiWorkerChild.ts', 'apiWorkerChild');
    });
    afterAll(async () => {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      await api?.close();
      await runner?.stop();
      await database?.close();
      await closeStore?.();
    });

    const startWorker = async (actor: string, kinds: readonly string[]) => {
      const { token } = await api.server.tokens.create({ actor, roles: ['worker'], createdBy: 'test' });
      const dataDir = join(root, actor);
      const child = spawn(process.execPath, [childEntry], {
        env: {
          PATH: process.env.PATH,
          API_URL: new URL('/', api.server.url).href,
          WORKER_TOKEN: token,
          WORKER_DATA_DIR: dataDir,
          THREAD_ENTRY: threadEntry,
          EVALUATION_THREAD_ENTRY: evaluationThreadEntry,
          WORKER_KINDS: kinds.join(','),
          // Long enough that a worker starved of CPU on a loaded machine keeps its lease while it is alive.
          LEASE_MS: '30000',
          ...(process.env.WORKER_LOG ? { WORKER_LOG: process.env.WORKER_LOG } : {}),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('worker ready')) resolve();
        });
        child.once('exit', (code) =>
          reject(new Error(`worker ${actor} exited (${code}) before it was ready`)),
        );
      });
      return { actor, child, dataDir };
    };
    const runEvents = (runId: string) => store.readStream(`run-${runId}`);
    const ofType = (events: readonly RecordedEvent[], type: string) => events.filter((e) => e.type === type);
    const requestRun = async (targetModel: string) =>
      (
        await services.runs.requestTrainingRun(
          {
            baseModel: { name: 'tiny', source: { kind: 'artifact', hash: baseModelHash } },
            dataset: { id: 'capitals', revision: 1 },
            method: { kind: 'lora', r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj'] },
            stages: [{ name: 'sft', learningRate: 1e-2, batchSize: 4, epochs: 12 }],
            loss: { kind: 'cross-entropy' },
            seed: 7,
            targetModel,
          },
          admin,
        )
      ).runId;
    const completedHash = async (runId: string) => {
      await expect
        .poll(async () => ofType(await runEvents(runId), 'TrainingRunCompleted').length, {
          timeout: 150_000,
          interval: 200,
        })
        .toBe(1);
      const completed = ofType(await runEvents(runId), 'TrainingRunCompleted')[0]!;
      return (completed.data as { artifact: { hash: string } }).artifact.hash;
    };

    it('takes over a killed trainer from the checkpoint it downloads, ends with the uninterrupted hash, and evaluates', async () => {
      // One trains, the other evaluates (and trains when a run is free): the trainer holds the run before
      // the evaluator starts, so the evaluator is the one that takes over.
      const trainer = await startWorker('gpu-box-a', ['train']);
      const runId = await requestRun('capitals-takeover');
      onTestFailed(async () => {
        console.error((await runEvents(runId)).map((e) => `${e.type} ${e.metadata.actor}`).join('\n'));
      });
      await expect
        .poll(async () => ofType(await runEvents(runId), 'TrainingRunClaimed').length, {
          timeout: 240_000,
          interval: 100,
        })
        .toBe(1);
      // The trainer waits (SIGSTOP, well inside its lease) while the evaluator starts, so that a run trained
      // quickly on an idle machine cannot end before there is a worker to take it over.
      trainer.child.kill('SIGSTOP');
      const other = await startWorker('gpu-box-b', ['train', 'evaluate']).finally(() =>
        trainer.child.kill('SIGCONT'),
      );
      await expect
        .poll(async () => ofType(await runEvents(runId), 'CheckpointSaved').length, {
          timeout: 120_000,
          interval: 100,
        })
        .toBeGreaterThanOrEqual(1);
      // Let it train past its last checkpoint, so the take-over repeats some steps, then kill it.
      await expect
        .poll(
          async () => {
            const events = await runEvents(runId);
            const saved = ofType(events, 'CheckpointSaved').at(-1)!.data as { step: number };
            return ofType(events, 'TrainingProgressReported').filter(
              (e) => (e.data as { step: number }).step > saved.step,
            ).length;
          },
          { timeout: 30_000, interval: 50 },
        )
        .toBeGreaterThanOrEqual(1);
      expect(ofType(await runEvents(runId), 'TrainingRunClaimed')[0]!.metadata.actor).toBe(trainer.actor);
      trainer.child.kill('SIGKILL');
      await new Promise((resolve) => trainer.child.once('exit', resolve));
      const checkpoint = ofType(await runEvents(runId), 'CheckpointSaved').at(-1)!.data as {
        step: number;
        artifactHash: string;
      };

      const takenOver = await completedHash(runId);
      const events = await runEvents(runId);
      const claims = ofType(events, 'TrainingRunClaimed');
      expect(claims.map((c) => c.metadata.actor)).toEqual([trainer.actor, other.actor]);
      expect((claims[1]!.data as { resumeFrom?: unknown }).resumeFrom).toEqual({
        step: checkpoint.step,
        artifactHash: checkpoint.artifactHash,
      });
      // The survivor had no copy of the checkpoint: it downloaded it into its own cache, by hash.
      const cached = new LocalArtifactStore(join(other.dataDir, 'artifacts'));
      expect(await cached.has(checkpoint.artifactHash)).toBe(true);
      expect(existsSync(join(other.dataDir, 'models', baseModelHash, 'config.json'))).toBe(true);
      const completion = ofType(events, 'TrainingRunCompleted')[0]!;
      expect(completion.metadata.actor).toBe(other.actor);
      // What it uploaded is in the platform's store under the hash it reported.
      expect(await artifacts.has(takenOver)).toBe(true);
      if (artifacts.downloadUrl) {
        // With S3 the API carries no bytes: every GET is a redirect to a presigned URL, which the workers followed.
        const { token } = await api.server.tokens.create({
          actor: 'ada',
          roles: ['admin'],
          createdBy: 'test',
        });
        const response = await fetch(new URL(`/artifacts/${checkpoint.artifactHash}`, api.server.url), {
          headers: { authorization: `Bearer ${token}` },
          redirect: 'manual',
        });
        expect(response.status).toBe(307);
        expect(response.headers.get('location')).toMatch(/X-Amz-Signature=/);
      }
      // The worker registers the version once the completion is recorded: a moment after it.
      await expect
        .poll(
          async () =>
            ofType(await store.readStream('model-capitals-takeover'), 'ModelVersionRegistered').length,
          { timeout: 60_000, interval: 100 },
        )
        .toBe(1);

      // The evaluating worker evaluates the version over the API: the model and the eval split downloaded,
      // predictions and report uploaded, each scored record recorded and labeled with its category.
      const { evaluationId } = await services.evaluations.requestEvaluation(
        {
          model: { name: 'capitals-takeover', version: 1 },
          dataset: { id: 'capitals', revision: 1 },
          suites: ['exact-match', 'f1'],
        },
        admin,
      );
      await expect
        .poll(
          async () =>
            (await store.readStream(evaluationStream(evaluationId)))
              .map((e) => e.type)
              .filter((type) => type === 'EvaluationCompleted' || type === 'EvaluationFailed'),
          { timeout: 150_000, interval: 200 },
        )
        .toEqual(['EvaluationCompleted']);
      const evaluation = await store.readStream(evaluationStream(evaluationId));
      const completed = ofType(evaluation, 'EvaluationCompleted')[0]!;
      expect(completed.metadata.actor).toBe(other.actor);
      expect(ofType(evaluation, 'EvaluationClaimed')[0]!.metadata.actor).toBe(other.actor);
      const outputs = (completed.data as { artifacts: { predictions: { hash: string } } }).artifacts;
      const predictions = (await artifacts.get(outputs.predictions.hash))
        .toString()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { id: string; category: string });
      expect(predictions.length).toBe(capitalRecords().length);
      for (const row of predictions.filter((p) => p.category !== 'unscored')) {
        const interaction = await store.readStream(
          interactionStream(evaluationInteractionId(evaluationId, row.id)),
        );
        expect(interaction.map((e) => [e.type, e.metadata.actor])).toEqual([
          ['InteractionRecorded', other.actor],
          ['FeedbackLabeled', other.actor],
        ]);
        expect((interaction[1]!.data as { label: unknown }).label).toEqual({
          kind: 'error-category',
          category: row.category,
        });
      }

      // The same run, uninterrupted, on the surviving worker: the same adapter, byte for byte.
      const uninterrupted = await completedHash(await requestRun('capitals-uninterrupted'));
      expect(takenOver).toBe(uninterrupted);
      other.child.kill('SIGTERM');
      expect(await new Promise((resolve) => other.child.once('exit', resolve))).toBe(0);
      // Two trainings, an evaluation and a lease to wait out after the kill: minutes on a loaded two-core machine.
    }, 600_000);
  });
