/**
 * `npm run bench -- projections [events=100000] [repeats=3] [pglite,postgres] [snapshotEvery]` (repeats 0:
 * no rebuild): rebuilds every
 * read model from a log of realistic lifecycle events (datasets, runs with many progress reports,
 * evaluations, the registry, deployments with rollbacks, interactions and feedback) on PGlite and,
 * when DATABASE_URL is set, on PostgreSQL. Reports events/s for the whole rebuild, the log read
 * alone as a baseline, the time spent in each projection's transactions, and how long time travel
 * (`worldAsOf` now: registry, deployments, lineage folded from the log) takes on that log; then time
 * travel at random moments across the log, folded from the start (baseline) and from snapshots
 * (p50/p99), and the deployment audit report asOf random moments.
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { migrateToLatest } from '../src/app/migrate.js';
import {
  openDatabase,
  PostgresEventStore,
  type Checkpoint,
  type Database,
  type EventStore,
  type NewEvent,
} from '../src/eventstore/index.js';
import { buildAuditReport } from '../src/graphql/audit/auditReport.js';
import {
  allProjections,
  DEFAULT_SNAPSHOT_EVERY,
  lineageNodeId,
  ProjectionRunner,
  worldAsOf,
  writeWorldSnapshots,
} from '../src/projections/index.js';
import { foldedTypes } from '../src/projections/worldFold.js';
import { percentiles, round, withSpread, type BenchResult } from './lib.js';

export interface LifecycleAppend {
  readonly streamId: string;
  readonly events: readonly NewEvent[];
}

export interface LifecycleOptions {
  /** Stop after about this many events (default 100,000). */
  readonly events?: number;
  /** Progress reports per training run (default 200). */
  readonly progressPerRun?: number;
  readonly seed?: number;
  /** Progress reports per append (one worker report carries a few); default 20. */
  readonly progressPerAppend?: number;
}

/** A small deterministic PRNG (mulberry32), so every log generated with one seed is the same. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Generates the appends of a plausible platform history, valid against the domain's schemas:
 * per cycle a dataset revision, a few training runs reporting progress and checkpoints (some failing,
 * some losing their lease and resuming), model versions with retention, evaluations with gates,
 * promotions, deployments with degradations and rollbacks, and served interactions with labels.
 */
export function generateLifecycle(options: LifecycleOptions = {}): LifecycleAppend[] {
  const target = options.events ?? 100_000;
  const progressPerRun = options.progressPerRun ?? 200;
  const perAppend = options.progressPerAppend ?? 20;
  const random = prng(options.seed ?? 42);
  const appends: LifecycleAppend[] = [];
  let count = 0;
  let clock = Date.parse('2026-01-01T00:00:00.000Z');
  const now = (advanceMs = 1000) => new Date((clock += advanceMs)).toISOString();
  const push = (streamId: string, ...events: NewEvent[]) => {
    appends.push({ streamId, events });
    count += events.length;
  };
  const modelName = 'llama-med';
  const deploymentName = 'med-assistant';
  let modelVersion = 0;
  const retained: number[] = [];
  let production: number | undefined;
  let staging: number | undefined;
  let active: number | undefined;
  const interactionIds: string[] = [];

  for (let cycle = 0; count < target; cycle++) {
    const datasetId = `ds${cycle % 5}`;
    const revision = Math.floor(cycle / 5) + 1;
    if (revision === 1) {
      push(`dataset-${datasetId}`, {
        type: 'DatasetRegistered',
        schemaVersion: 2,
        data: {
          datasetId,
          name: `Medical QA ${cycle % 5}`,
          domain: 'medicine',
          description: 'instruction pairs',
          format: 'alpaca',
          tags: [],
          registeredAt: now(),
        },
      });
    }
    const flywheel = revision > 1 && interactionIds.length > 0;
    push(`dataset-${datasetId}`, {
      type: 'DatasetRevisionAdded',
      data: {
        datasetId,
        revision,
        contentHash: hash(`${datasetId}@${revision}`),
        recordCount: 1000 + cycle,
        byteSize: 500_000 + cycle * 100,
        splits: {
          train: { hash: hash(`${datasetId}@${revision}/train`), recordCount: 900, byteSize: 450_000 },
          eval: { hash: hash(`${datasetId}@${revision}/eval`), recordCount: 100, byteSize: 50_000 },
        },
        ...(revision > 1 ? { parentRevision: revision - 1 } : {}),
        transform: { kind: flywheel ? 'flywheel' : 'ingest', params: {} },
        piiReport: { counts: { phone: cycle % 3, email: 1 } },
        qualityReport: { rejected: [{ line: 3, reason: 'empty instruction' }] },
        ...(flywheel ? { sourceInteractions: interactionIds.slice(-5) } : {}),
        addedAt: now(),
      },
    });

    for (let r = 0; r < 2 && count < target; r++) {
      const runId = `r${cycle}-${r}`;
      const stream = `run-${runId}`;
      const steps = progressPerRun;
      push(stream, {
        type: 'TrainingRunRequested',
        data: {
          runId,
          baseModel: { name: 'tiny-llama', source: { kind: 'path', path: '/models/tiny-llama' } },
          dataset: { id: datasetId, revision, contentHash: hash(`${datasetId}@${revision}`) },
          method: { kind: 'lora', r: 8, alpha: 16, dropout: 0.05, targetModules: ['q_proj', 'v_proj'] },
          stages: [{ name: 'sft', learningRate: 2e-4, batchSize: 8, epochs: 1 }],
          loss: { kind: 'cross-entropy' },
          seed: cycle,
          targetModel: modelName,
          requestedAt: now(),
        },
      });
      let attempt = 1;
      const claim = () =>
        push(stream, {
          type: 'TrainingRunClaimed',
          data: {
            runId,
            workerId: `worker-${attempt}`,
            backend: { name: 'wasm', device: 'cpu' },
            leaseUntil: new Date(clock + 60_000).toISOString(),
            attempt,
            claimedAt: now(),
          },
        });
      claim();
      push(stream, {
        type: 'TrainingStageStarted',
        data: {
          runId,
          stageIndex: 0,
          name: 'sft',
          learningRate: 2e-4,
          batchSize: 8,
          steps,
          attempt,
          startedAt: now(),
        },
      });
      let expiresAt = r === 1 && cycle % 3 === 0 ? Math.floor(steps / 2) + 10 : -1;
      let batch: NewEvent[] = [];
      for (let step = 1; step <= steps; step++) {
        batch.push({
          type: 'TrainingProgressReported',
          schemaVersion: 2,
          data: {
            runId,
            step,
            totalSteps: steps,
            stageIndex: 0,
            epoch: step / steps,
            loss: 2.5 * Math.exp(-step / steps) + random() * 0.05,
            entityLoss: 3 * Math.exp(-step / steps),
            learningRate: 2e-4 * (1 - step / (steps + 1)),
            gradNorm: 1 + random(),
            tokensPerSecond: 800 + random() * 100,
            elapsedMs: step * 250,
            etaMs: (steps - step) * 250,
            attempt,
            reportedAt: now(250),
          },
        });
        if (step % 50 === 0) {
          batch.push({
            type: 'CheckpointSaved',
            data: {
              runId,
              step,
              stageIndex: 0,
              artifactHash: hash(`${runId}/ckpt/${step}`),
              byteSize: 4_000_000,
              attempt,
              savedAt: now(),
            },
          });
        }
        if (batch.length >= perAppend || step === steps || step === expiresAt) {
          push(stream, ...batch);
          batch = [];
        }
        if (step === expiresAt) {
          const lastCheckpoint = Math.floor(step / 50) * 50;
          push(stream, {
            type: 'TrainingRunLeaseExpired',
            data: {
              runId,
              workerId: `worker-${attempt}`,
              attempt,
              leaseUntil: now(),
              lastStep: step,
              ...(lastCheckpoint > 0
                ? {
                    resumeFrom: {
                      step: lastCheckpoint,
                      artifactHash: hash(`${runId}/ckpt/${lastCheckpoint}`),
                    },
                  }
                : {}),
              detectedAt: now(),
            },
          });
          attempt++;
          claim();
          step = lastCheckpoint;
          expiresAt = -1;
        }
      }
      if (cycle % 7 === 3 && r === 0) {
        push(stream, {
          type: 'TrainingRunFailed',
          data: { runId, reason: 'loss diverged (NaN)', step: steps, retryable: false, failedAt: now() },
        });
        continue;
      }
      push(stream, {
        type: 'TrainingRunCompleted',
        data: {
          runId,
          artifact: { kind: 'adapter', hash: hash(`${runId}/adapter`), byteSize: 2_000_000 },
          finalLoss: 0.9,
          steps,
          durationMs: steps * 250,
          tokensSeen: steps * 4096,
          metrics: {},
          completedAt: now(),
        },
      });

      // Registry: a new version; retention keeps the last 3 (never the production one).
      modelVersion++;
      const version = modelVersion;
      push(`model-${modelName}`, {
        type: 'ModelVersionRegistered',
        data: {
          modelName,
          version,
          runId,
          baseModel: 'tiny-llama',
          artifacts: { adapter: hash(`${runId}/adapter`) },
          trainingSummary: { datasetId, datasetRevision: revision, method: 'lora', finalLoss: 0.9, steps },
          registeredAt: now(),
        },
      });
      retained.push(version);
      if (retained.length > 3) {
        const oldest = retained.find((v) => v !== production)!;
        retained.splice(retained.indexOf(oldest), 1);
        if (staging === oldest) staging = undefined;
        push(`model-${modelName}`, {
          type: 'ModelVersionArchived',
          data: { modelName, version: oldest, reason: 'retention', archivedAt: now() },
        });
      }

      const evaluationId = `e${cycle}-${r}`;
      const passed = random() > 0.3;
      push(
        `eval-${evaluationId}`,
        {
          type: 'EvaluationRequested',
          data: {
            evaluationId,
            model: { name: modelName, version },
            dataset: { id: datasetId, revision },
            suites: ['exact-match', 'f1'],
            gate: [{ metric: 'f1', op: 'gte', value: 0.6 }],
            requestedAt: now(),
          },
        },
        {
          type: 'EvaluationClaimed',
          data: { evaluationId, workerId: 'eval-1', leaseUntil: now(60_000), attempt: 1, claimedAt: now() },
        },
      );
      const f1 = passed ? 0.7 + random() * 0.2 : 0.4 + random() * 0.1;
      push(`eval-${evaluationId}`, {
        type: 'EvaluationCompleted',
        data: {
          evaluationId,
          model: { name: modelName, version },
          metrics: { exactMatch: f1 - 0.1, f1 },
          categories: { dosage: { f1 } },
          errorTaxonomy: { hallucination: passed ? 1 : 5 },
          artifacts: {},
          gate: passed
            ? { passed: true, failures: [] }
            : { passed: false, failures: [{ metric: 'f1', op: 'gte', value: 0.6, actual: f1 }] },
          completedAt: now(),
        },
      });
      if (!passed || !retained.includes(version)) continue;

      const stage = production === undefined || r === 1 ? 'production' : 'staging';
      const replaced = stage === 'production' ? production : staging;
      push(`model-${modelName}`, {
        type: 'ModelVersionPromoted',
        data: {
          modelName,
          version,
          stage,
          previousStage: 'none',
          ...(replaced !== undefined ? { replacedVersion: replaced } : {}),
          evidence: { evaluationIds: [evaluationId] },
          approvedBy: 'lead',
          promotedAt: now(),
        },
      });
      if (stage === 'staging') {
        staging = version;
        continue;
      }
      staging = replaced;
      production = version;
      const previous = active;
      push(
        `deployment-${deploymentName}`,
        {
          type: 'DeploymentRequested',
          data: {
            deploymentName,
            model: { name: modelName, version },
            environment: 'prod',
            reason: 'promoted',
            requestedAt: now(),
          },
        },
        {
          type: 'DeploymentActivated',
          data: {
            deploymentName,
            model: { name: modelName, version },
            ...(previous !== undefined ? { previousVersion: previous } : {}),
            environment: 'prod',
            endpoint: '/v1/chat/completions',
            activatedAt: now(),
          },
        },
      );
      active = version;

      // Traffic on the new version: interactions (one stream each) with some labels.
      for (let i = 0; i < 10; i++) {
        const interactionId = `i${cycle}-${r}-${i}`;
        interactionIds.push(interactionId);
        const events: NewEvent[] = [
          {
            type: 'InteractionRecorded',
            data: {
              interactionId,
              deploymentName,
              model: { name: modelName, version },
              prompt: 'What is the usual adult dose of paracetamol?',
              response: 'Usually 500 mg to 1 g every 4-6 hours, at most 4 g a day.',
              latencyMs: 120 + random() * 50,
              tokens: { prompt: 12, completion: 24 },
              meanTokenEntropy: 1.2 + random(),
              recordedAt: now(100),
            },
          },
        ];
        if (i % 3 === 0) {
          events.push({
            type: 'FeedbackLabeled',
            data: {
              interactionId,
              label: i % 2 === 0 ? { kind: 'rating', value: 4 } : { kind: 'thumbs', up: false },
              labeler: 'nurse-1',
              labeledAt: now(),
            },
          });
        }
        push(`interaction-${interactionId}`, ...events);
      }
      const promptId = `p${cycle}-${r}`;
      push(
        `preference-${promptId}`,
        {
          type: 'CandidatesGenerated',
          data: {
            promptId,
            prompt: 'Explain hypertension simply.',
            candidates: ['a', 'b', 'c'].map((c) => ({
              candidateId: `${promptId}-${c}`,
              text: `answer ${c}`,
            })),
            generatedAt: now(),
          },
        },
        {
          type: 'PreferenceRanked',
          data: {
            promptId,
            ranking: [`${promptId}-b`, `${promptId}-a`, `${promptId}-c`],
            labeler: 'nurse-2',
            rankedAt: now(),
          },
        },
      );

      // Every third activation degrades and is rolled back by policy to the previous version.
      if (previous !== undefined && retained.includes(previous) && cycle % 3 === 0) {
        const rollbackId = `rb${cycle}-${r}`;
        push(
          `deployment-${deploymentName}`,
          {
            type: 'DegradationDetected',
            data: {
              deploymentName,
              model: { name: modelName, version },
              metric: 'output-entropy',
              baseline: 1.2,
              current: 2.1,
              changePct: 75,
              window: { from: now(), to: now(60_000), samples: 200 },
              detectedAt: now(),
            },
          },
          {
            type: 'RollbackRequested',
            data: {
              deploymentName,
              rollbackId,
              fromVersion: version,
              toVersion: previous,
              reason: 'output entropy up 75%',
              trigger: 'policy',
              evidence: {},
              requestedAt: now(),
            },
          },
          {
            type: 'RolledBack',
            data: {
              deploymentName,
              rollbackId,
              fromVersion: version,
              toVersion: previous,
              modelName,
              rolledBackAt: now(),
            },
          },
        );
        active = previous;
      }
    }
  }
  return appends;
}

/** Appends the generated history; returns how many events were written and the last checkpoint. */
export async function appendLifecycle(
  store: EventStore,
  appends: readonly LifecycleAppend[],
  onProgress?: (done: number, total: number) => void,
): Promise<{ written: number; checkpoint: Checkpoint }> {
  let written = 0;
  let checkpoint: Checkpoint = '';
  const step = Math.max(1, Math.floor(appends.length / 20));
  for (const [index, append] of appends.entries()) {
    if (onProgress && index > 0 && index % step === 0) onProgress(index, appends.length);
    const result = await store.append(append.streamId, append.events, 'any', {
      actor: 'bench',
      correlationId: append.streamId,
    });
    written += append.events.length;
    checkpoint = result.events[result.events.length - 1]?.checkpoint ?? checkpoint;
  }
  return { written, checkpoint };
}

/**
 * `appendLifecycle` in calls of `appendMany` (up to `perCall` streams, no stream twice in one call, in
 * the generated order; consecutive appends to one stream merged): the same events in the same order, in
 * far fewer round trips and transactions, so millions of events append in minutes.
 */
export async function appendLifecycleBatched(
  store: EventStore,
  appends: readonly LifecycleAppend[],
  onProgress?: (done: number, total: number) => void,
  perCall = 200,
): Promise<{ written: number; checkpoint: Checkpoint }> {
  let written = 0;
  let checkpoint: Checkpoint = '';
  let reported = 0;
  const step = Math.max(1, Math.floor(appends.length / 20));
  for (let start = 0; start < appends.length;) {
    // Consecutive appends to one stream (a worker's progress reports) go as one append.
    const batch: { streamId: string; events: NewEvent[] }[] = [];
    const streams = new Set<string>();
    let end = start;
    while (end < appends.length && batch.length < perCall) {
      const append = appends[end]!;
      if (batch.at(-1)?.streamId === append.streamId) batch.at(-1)!.events.push(...append.events);
      else if (streams.has(append.streamId)) break;
      else {
        streams.add(append.streamId);
        batch.push({ streamId: append.streamId, events: [...append.events] });
      }
      end++;
    }
    const outcomes = await store.appendMany(
      batch.map((append) => ({
        streamId: append.streamId,
        events: append.events,
        expected: 'any' as const,
        context: { actor: 'bench', correlationId: append.streamId },
      })),
    );
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') throw outcome.reason;
      written += outcome.value.events.length;
      const last = outcome.value.events.at(-1)?.checkpoint;
      if (last && last > checkpoint) checkpoint = last;
    }
    start = end;
    if (onProgress && start - reported >= step) {
      reported = start;
      onProgress(start, appends.length);
    }
  }
  return { written, checkpoint };
}

/**
 * Waits until readAll reaches `checkpoint`: on PostgreSQL an event becomes visible to readers only
 * once every older transaction in the cluster has finished (the store's gap protection).
 */
export async function untilVisible(
  store: EventStore,
  checkpoint: Checkpoint,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let position: Checkpoint = '';
  for (;;) {
    const page = await store.readAll(position, 10_000);
    position = page.checkpoint;
    if (position >= checkpoint) return;
    if (page.events.length === 0) {
      if (Date.now() > deadline)
        throw new Error(`events up to ${checkpoint} did not become visible in ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/**
 * The first readAll-by-types (migration 0004): walks the log-order index and tests each row's type,
 * so it reads the whole table. Created in the bench database only, as the baseline of the type index.
 */
async function createFullScanBaseline(database: Database): Promise<void> {
  await sql`
    CREATE FUNCTION bench_read_all_of_types_full_scan(p_transaction_id xid8, p_global_position bigint,
                                                      p_limit integer, p_types text[])
    RETURNS TABLE (checkpoint text, data jsonb)
    LANGUAGE sql STABLE SET enable_sort = off SET enable_bitmapscan = off
    AS $$
      SELECT lpad(e.transaction_id::text, 20, '0') || ':' || lpad(e.global_position::text, 20, '0'), e.data
      FROM events e
      WHERE (e.transaction_id, e.global_position) > (p_transaction_id, p_global_position)
        AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        AND e.type = ANY(p_types)
      ORDER BY e.transaction_id, e.global_position
      LIMIT p_limit
    $$`.execute(database.db);
}

/** Reads every event of the folded types, through the store's function or the full-scan baseline. */
async function readFolded(
  database: Database,
  fn: 'tuneledger_read_all_of_types' | 'bench_read_all_of_types_full_scan',
) {
  let from = { tx: '0', position: '0' };
  for (;;) {
    const { rows } = await sql<{ checkpoint: string }>`
      SELECT checkpoint FROM ${sql.raw(fn)}(${from.tx}::xid8, ${from.position}::bigint, 5000, ${[...foldedTypes]}::text[])`.execute(
      database.db,
    );
    if (rows.length === 0) return;
    const [tx, position] = rows.at(-1)!.checkpoint.split(':');
    from = { tx: String(BigInt(tx!)), position: String(BigInt(position!)) };
  }
}

async function measure(
  database: Database,
  label: string,
  eventCount: number,
  repeats: number,
  snapshotEvery: number,
) {
  await migrateToLatest(database.db);
  const store = new PostgresEventStore(database);
  const appends = generateLifecycle({ events: eventCount });
  const appendStarted = performance.now();
  process.stderr.write(`${label}: appending ${appends.length} appends (about ${eventCount} events)...\n`);
  const { written, checkpoint } = await appendLifecycleBatched(store, appends, (done, total) =>
    process.stderr.write(
      `${label}: appended ${done}/${total} appends in ${Math.round((performance.now() - appendStarted) / 1000)} s\n`,
    ),
  );
  await untilVisible(store, checkpoint);
  const appendMs = performance.now() - appendStarted;
  process.stderr.write(`${label}: appended ${written} events in ${Math.round(appendMs / 1000)} s\n`);
  const all: number[] = [];
  let runner: ProjectionRunner | undefined;
  for (let i = 0; i < repeats; i++) {
    runner = new ProjectionRunner({ db: database.db, store, projections: allProjections, batchSize: 2000 });
    const started = performance.now();
    await runner.rebuild();
    all.push(written / ((performance.now() - started) / 1000));
  }
  // Time in each projection's transactions during the last rebuild of all (they run side by side).
  const perProjection: Record<string, number> = {};
  for (const status of runner?.status() ?? []) perProjection[`${status.name}_apply_ms`] = status.applyMs;
  // Reading the log alone: the floor under any rebuild.
  const readStarted = performance.now();
  for (
    let cp = '', page = await store.readAll(cp, 2000);
    page.events.length > 0;
    page = await store.readAll(cp, 2000)
  ) {
    cp = page.checkpoint;
  }
  const readMs = performance.now() - readStarted;
  const timed = async (run: () => Promise<unknown>) => {
    const started = performance.now();
    await run();
    return performance.now() - started;
  };
  // Reading the folded event types alone: through the type index, and the first function's full scan.
  await createFullScanBaseline(database);
  const typeIndex: number[] = [];
  const fullScan: number[] = [];
  // Past a million events the baselines (whole-log reads and folds) run fewer times: they take seconds each.
  const large = written > 1_000_000;
  for (let i = 0; i < (large ? 1 : 3); i++) {
    fullScan.push(await timed(() => readFolded(database, 'bench_read_all_of_types_full_scan')));
    typeIndex.push(await timed(() => readFolded(database, 'tuneledger_read_all_of_types')));
  }
  // Time travel: the registry, deployments and lineage as of now, folded from the log (3 times).
  const asOf: number[] = [];
  for (let i = 0; i < 3; i++) asOf.push(await timed(() => worldAsOf(store, new Date())));

  // asOf at random moments across the log: folded from the start (the baseline), then from snapshots.
  const { rows } = await sql<{ first: Date; last: Date }>`
    SELECT min(recorded_at) AS first, max(recorded_at) AS last FROM events`.execute(database.db);
  const first = new Date(rows[0]!.first).getTime();
  const last = new Date(rows[0]!.last).getTime();
  const random = prng(7);
  const moment = () => new Date(first + Math.floor(random() * (last - first + 1)));
  const plain: number[] = [];
  for (let i = 0; i < (large ? 3 : 10); i++) {
    const at = moment();
    plain.push(await timed(() => worldAsOf(store, at)));
  }
  process.stderr.write(`${label}: writing snapshots and the lineage index...\n`);
  const snapshotStarted = performance.now();
  const snapshotsWritten = await writeWorldSnapshots(database.db, store, { every: snapshotEvery });
  const snapshotMs = performance.now() - snapshotStarted;
  const size = async (table: string) =>
    Number(
      (
        await sql<{
          bytes: string;
        }>`SELECT pg_total_relation_size(${table}::regclass)::text AS bytes`.execute(database.db)
      ).rows[0]!.bytes,
    );
  // asOf from snapshots: the fold from the nearest snapshot (which version ran on the deployment at T),
  // timed in its phases; then, apart, the lineage question GraphQL asks (`lineage(id, depth: 10, asOf)`:
  // upstream of the active version, 10 hops, at most 500 nodes), a walk of the lineage index.
  const snapshotted: number[] = [];
  const phases = {
    snapshot: [] as number[],
    read: [] as number[],
    fold: [] as number[],
    walk: [] as number[],
    eventsRead: [] as number[],
  };
  // Each moment also read in pages of 1,000 folded events instead of 5,000 (less read past T, more round
  // trips), the two in alternating order so neither gets the other's warm cache every time.
  const smallPages: number[] = [];
  for (let i = 0; i < 100; i++) {
    const at = moment();
    if (i % 2 === 1)
      smallPages.push(await timed(() => worldAsOf(store, at, { snapshots: database.db, batchSize: 1000 })));
    const started = performance.now();
    const world = await worldAsOf(store, at, { snapshots: database.db });
    const walkStarted = performance.now();
    snapshotted.push(walkStarted - started);
    const deployment = world.deployments.get('med-assistant');
    if (deployment?.modelName && deployment.activeVersion !== null) {
      const node = lineageNodeId.modelVersion(deployment.modelName, deployment.activeVersion);
      await world.lineage.walk(node, 'upstream', { maxDepth: 10, maxNodes: 500 });
    }
    const done = performance.now();
    phases.snapshot.push(world.timings.snapshotMs);
    phases.read.push(world.timings.readMs);
    phases.fold.push(world.timings.foldMs);
    phases.eventsRead.push(world.eventsRead);
    phases.walk.push(done - walkStarted);
    if (i % 2 === 0)
      smallPages.push(await timed(() => worldAsOf(store, at, { snapshots: database.db, batchSize: 1000 })));
  }
  // The deployment audit report (which version ran, its full chain, verified streams) at random moments.
  const audits: number[] = [];
  for (let i = 0; i < 20; i++) {
    const at = moment();
    audits.push(
      await timed(() =>
        buildAuditReport({ store, db: database.db }, { deploymentName: 'med-assistant', asOf: at }),
      ),
    );
  }
  const result: BenchResult = {
    name: `projections-${label}`,
    backend: label,
    inputs: {
      events: written,
      repeats,
      batchSize: 2000,
      projections: allProjections.map((p) => p.name),
      snapshotEvery,
      randomMoments: { fromStart: plain.length, fromSnapshots: snapshotted.length, audits: audits.length },
    },
    metrics: {
      append_ms: round(appendMs),
      ...(all.length > 0 ? withSpread('rebuild_all_events_per_s', all) : {}),
      baseline_read_log_events_per_s: round(written / (readMs / 1000)),
      // Compare with reading the whole log (baseline above): asOf reads only the event types it folds.
      ...withSpread('as_of_now_ms', asOf),
      ...withSpread('read_folded_types_ms', typeIndex),
      ...withSpread('baseline_read_folded_types_full_scan_ms', fullScan),
      // The same folds at random moments: from the start of the log (baseline) and from snapshots.
      ...percentiles('baseline_as_of_from_start_ms', plain),
      ...percentiles('as_of_ms', snapshotted),
      // Where asOf's time goes: loading the snapshot, reading the events since it, folding them; then
      // the lineage walk asOf (upstream of the active version, 10 hops, 500 nodes).
      ...percentiles('as_of_snapshot_load_ms', phases.snapshot),
      ...percentiles('as_of_read_since_snapshot_ms', phases.read),
      ...percentiles('as_of_fold_ms', phases.fold),
      ...percentiles('as_of_events_read', phases.eventsRead),
      ...percentiles('as_of_lineage_walk_ms', phases.walk),
      ...percentiles('as_of_pages_of_1000_ms', smallPages),
      ...percentiles('audit_as_of_ms', audits),
      snapshots_written: snapshotsWritten,
      snapshots_write_ms: round(snapshotMs),
      snapshots_bytes: await size('world_snapshots'),
      lineage_index_bytes: (await size('world_lineage_nodes')) + (await size('world_lineage_edges')),
      ...perProjection,
    },
    goals: [
      ...(label === 'postgres' && all.length > 0
        ? [
            `rebuild >= 10,000 events/s on PostgreSQL: ${all.sort((a, b) => a - b)[Math.floor(all.length / 2)]! >= 10_000 ? 'yes' : 'no'}`,
          ]
        : []),
      ...(label === 'postgres'
        ? [`asOf p99 < 100 ms on PostgreSQL: ${percentiles('x', snapshotted)['x_p99']! < 100 ? 'yes' : 'no'}`]
        : []),
    ],
  };
  return result;
}

export default async function (args: string[]): Promise<BenchResult[]> {
  const events = Number(args[0] ?? 100_000);
  const snapshotEvery = Number(args[3] ?? DEFAULT_SNAPSHOT_EVERY);
  const repeats = Number(args[1] ?? 3);
  const targets = (args[2] ?? 'pglite,postgres').split(',');
  const results: BenchResult[] = [];
  if (targets.includes('pglite')) {
    const pglite = await openDatabase({ dataDir: 'memory://' });
    try {
      results.push(await measure(pglite, 'pglite', events, repeats, snapshotEvery));
    } finally {
      await pglite.close();
    }
  }
  if (!targets.includes('postgres')) return results;
  if (process.env.DATABASE_URL) {
    const pg = await import('pg');
    const name = `tuneledger_bench_${Date.now().toString(36)}`;
    const admin = new pg.default.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = `/${name}`;
    const database = await openDatabase({ databaseUrl: url.toString() });
    try {
      results.push(await measure(database, 'postgres', events, repeats, snapshotEvery));
    } finally {
      await database.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  } else {
    process.stderr.write('DATABASE_URL is not set: PostgreSQL part skipped\n');
  }
  return results;
}
