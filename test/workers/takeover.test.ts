/**
 * A worker process killed hard (SIGKILL) in the middle of a run: its lease runs out, another worker process
 * takes the run over from the last checkpoint, and the run completes once with one model version. Needs
 * PostgreSQL (two processes share the database); skipped without DATABASE_URL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../src/data/index.js';
import {
  openDatabase,
  PostgresEventStore,
  type Database,
  type RecordedEvent,
} from '../../src/eventstore/index.js';
import { allProjections, ProjectionRunner } from '../../src/projections/index.js';
import { createServices, systemClock, uuidIds, type Services } from '../../src/services/index.js';
import { openDatabaseUrl, postgresSkipReason } from '../support/databases.js';
import { bundle, capitalRecords, registerDataset, writeTinyModel } from './support.js';

const admin = { actor: 'ana', roles: ['admin'] };
if (postgresSkipReason) console.info(`take-over test skipped: ${postgresSkipReason}`);

describe.skipIf(postgresSkipReason !== undefined)('worker take-over after SIGKILL (postgres)', () => {
  let url: string;
  let drop: () => Promise<void>;
  let database: Database;
  let store: PostgresEventStore;
  let services: Services;
  let runner: ProjectionRunner;
  let artifactsDir: string;
  let modelDir: string;
  let threadEntry: string;
  let childEntry: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    ({ url, drop } = await openDatabaseUrl());
    database = await openDatabase({ databaseUrl: url, poolSize: 4 });
    store = new PostgresEventStore(database, { pollIntervalMs: 50 });
    services = createServices({ store, clock: systemClock, ids: uuidIds });
    runner = new ProjectionRunner({
      db: database.db,
      store,
      projections: allProjections,
      pollIntervalMs: 50,
    });
    runner.start();
    const root = mkdtempSync(join(tmpdir(), 'tuneledger-takeover-'));
    artifactsDir = join(root, 'artifacts');
    modelDir = await writeTinyModel(join(root, 'tiny'));
    threadEntry = await bundle('src/workers/training/trainingThread.ts', 'trainingThread');
    childEntry = await bundle('test/workers/workerChild.ts', 'workerChild');
    await registerDataset(
      services,
      new LocalArtifactStore(artifactsDir),
      admin,
      'capitals',
      capitalRecords(),
    );
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await runner?.stop();
    await database?.close();
    await drop?.();
  });

  const startChild = () => {
    const child = spawn(process.execPath, [childEntry], {
      env: {
        ...process.env,
        DATABASE_URL: url,
        ARTIFACTS_DIR: artifactsDir,
        THREAD_ENTRY: threadEntry,
        LEASE_MS: '5000',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    return child;
  };
  const runEvents = (runId: string) => store.readStream(`run-${runId}`);
  const ofType = (events: readonly RecordedEvent[], type: string) => events.filter((e) => e.type === type);

  it('checkpoints and releases on SIGTERM; the next worker resumes there without waiting out the lease', async () => {
    const { runId } = await services.runs.requestTrainingRun(
      {
        baseModel: { name: 'tiny', source: { kind: 'path', path: modelDir } },
        dataset: { id: 'capitals', revision: 1 },
        method: { kind: 'lora', r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj'] },
        stages: [{ name: 'sft', learningRate: 1e-2, batchSize: 4, epochs: 10 }],
        loss: { kind: 'cross-entropy' },
        seed: 6,
        targetModel: 'capitals-sigterm',
      },
      admin,
    );
    const first = startChild();
    await expect
      .poll(async () => ofType(await runEvents(runId), 'TrainingProgressReported').length, {
        timeout: 45_000,
        interval: 50,
      })
      .toBeGreaterThanOrEqual(4);
    const stoppedAt = performance.now();
    first.kill('SIGTERM');
    expect(await new Promise((resolve) => first.once('exit', resolve))).toBe(0);
    const stopMs = performance.now() - stoppedAt;
    const afterStop = await runEvents(runId);
    const lastProgress = ofType(afterStop, 'TrainingProgressReported').at(-1)!.data as { step: number };
    const lastCheckpoint = ofType(afterStop, 'CheckpointSaved').at(-1)!.data as { step: number };
    expect(lastCheckpoint.step).toBe(lastProgress.step);
    // Released, not left to expire: the job is queued again at once.
    const job = await database.db
      .selectFrom('jobs')
      .select(['status', 'claimed_by'])
      .where('job_id', '=', `train-${runId}`)
      .executeTakeFirstOrThrow();
    expect(job).toEqual({ status: 'queued', claimed_by: null });

    const restartedAt = performance.now();
    const second = startChild();
    await expect
      .poll(async () => ofType(await runEvents(runId), 'TrainingRunClaimed').length, {
        timeout: 20_000,
        interval: 50,
      })
      .toBe(2);
    const claimMs = performance.now() - restartedAt;
    await expect
      .poll(async () => ofType(await runEvents(runId), 'TrainingRunCompleted').length, {
        timeout: 45_000,
        interval: 200,
      })
      .toBe(1);
    second.kill('SIGTERM');
    await new Promise((resolve) => second.once('exit', resolve));
    console.info(
      `SIGTERM: stopped in ${stopMs.toFixed(0)} ms; the next worker claimed ${claimMs.toFixed(0)} ms after it started`,
    );
    const claims = ofType(await runEvents(runId), 'TrainingRunClaimed').map(
      (e) => e.data as { resumeFrom?: { step: number } },
    );
    expect(claims[1]!.resumeFrom?.step).toBe(lastCheckpoint.step);
    expect(ofType(await store.readStream('model-capitals-sigterm'), 'ModelVersionRegistered')).toHaveLength(
      1,
    );
  });

  it('resumes from the last checkpoint in another process and completes once', async () => {
    const { runId } = await services.runs.requestTrainingRun(
      {
        baseModel: { name: 'tiny', source: { kind: 'path', path: modelDir } },
        dataset: { id: 'capitals', revision: 1 },
        method: {
          kind: 'lora',
          r: 8,
          alpha: 16,
          dropout: 0,
          targetModules: ['q_proj', 'v_proj', 'down_proj'],
        },
        stages: [{ name: 'sft', learningRate: 1e-2, batchSize: 4, epochs: 14 }],
        loss: { kind: 'cross-entropy' },
        seed: 5,
        targetModel: 'capitals-takeover',
      },
      admin,
    );
    const first = startChild();
    await expect
      .poll(async () => ofType(await runEvents(runId), 'CheckpointSaved').length, {
        timeout: 45_000,
        interval: 100,
      })
      .toBeGreaterThanOrEqual(1);
    // Let it train past its last checkpoint (so some steps are trained twice), then kill it without warning.
    await expect
      .poll(
        async () => {
          const events = await runEvents(runId);
          const saved = ofType(events, 'CheckpointSaved').at(-1)!.data as { step: number };
          return ofType(events, 'TrainingProgressReported').filter(
            (e) => (e.data as { step: number }).step > saved.step,
          ).length;
        },
        { timeout: 20_000, interval: 50 },
      )
      .toBeGreaterThanOrEqual(2);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const beforeKill = await runEvents(runId);
    const checkpoint = ofType(beforeKill, 'CheckpointSaved').at(-1)!.data as {
      step: number;
      artifactHash: string;
    };
    const firstAttempt = new Map(
      ofType(beforeKill, 'TrainingProgressReported').map((e) => {
        const d = e.data as { step: number; loss: number };
        return [d.step, d.loss] as const;
      }),
    );

    const second = startChild();
    await expect
      .poll(async () => ofType(await runEvents(runId), 'TrainingRunCompleted').length, {
        timeout: 50_000,
        interval: 200,
      })
      .toBe(1);
    second.kill('SIGTERM');
    const exitCode = await new Promise((resolve) => second.once('exit', resolve));
    expect(exitCode).toBe(0);

    const events = await runEvents(runId);
    const claims = ofType(events, 'TrainingRunClaimed').map(
      (e) => e.data as { attempt: number; resumeFrom?: { step: number; artifactHash: string } },
    );
    expect(claims.map((c) => c.attempt)).toEqual([1, 2]);
    expect(claims[1]!.resumeFrom).toEqual({ step: checkpoint.step, artifactHash: checkpoint.artifactHash });
    expect(ofType(events, 'TrainingRunLeaseExpired')).toHaveLength(1);
    expect(ofType(events, 'TrainingRunCompleted')).toHaveLength(1);
    // The resumed attempt continues right after the checkpoint, and trains exactly what the first would have.
    const resumed = ofType(events, 'TrainingProgressReported')
      .map((e) => e.data as { step: number; loss: number; attempt: number })
      .filter((d) => d.attempt === 2);
    expect(resumed[0]!.step).toBe(checkpoint.step + 1);
    // Every step both attempts trained has the same loss. The poll above waits until the first attempt trained
    // past its last checkpoint, but a checkpoint may still land between the poll and the kill: then the steps
    // the first attempt trained after the final checkpoint are the ones to compare, and there may be none.
    const pastCheckpoint = [...firstAttempt.keys()].filter((step) => step > checkpoint.step);
    const again = resumed.filter((d) => firstAttempt.has(d.step));
    expect(again.map((d) => d.step)).toEqual(pastCheckpoint);
    for (const d of again) expect(d.loss).toBeCloseTo(firstAttempt.get(d.step)!, 4);
    const versions = ofType(await store.readStream('model-capitals-takeover'), 'ModelVersionRegistered');
    expect(versions).toHaveLength(1);
    await expect
      .poll(
        async () =>
          (
            await database.db
              .selectFrom('jobs')
              .select('status')
              .where('job_id', '=', `train-${runId}`)
              .executeTakeFirst()
          )?.status,
      )
      .toBe('succeeded');
  });
});
