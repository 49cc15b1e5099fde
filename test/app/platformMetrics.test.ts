import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { startPlatform, type Platform } from '../../src/app/platform.js';
import { START } from '../../src/eventstore/index.js';
import { compileGenerationThread } from '../serving/support.js';
import { completeRun, datasetWithRevision } from '../support/lifecycle.js';
import { writeModelDirectory } from '../support/modelDirectory.js';

interface Sample {
  readonly labels: Record<string, string>;
  readonly value: number;
}
interface Family {
  help?: string;
  type?: string;
  readonly samples: Sample[];
}

/** Prometheus text format: # HELP / # TYPE lines and `name{label="value",...} number` samples. */
function parseMetrics(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let found = families.get(name);
    if (!found) families.set(name, (found = { samples: [] }));
    return found;
  };
  for (const line of text.split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'HELP') family(meta[2]!).help = meta[3];
      else family(meta[2]!).type = meta[3];
      continue;
    }
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[key!] = value!;
    // Histogram and summary series (_bucket, _sum, _count) belong to the family without the suffix.
    const base = sample[1]!.replace(/_(bucket|sum|count|created)$/, '');
    const name = families.has(sample[1]!) ? sample[1]! : families.has(base) ? base : sample[1]!;
    family(name).samples.push({ labels, value: Number(sample[3]) });
  }
  return families;
}

function value(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const matching = (families.get(name)?.samples ?? []).filter((sample) =>
    Object.entries(labels).every(([key, wanted]) => sample.labels[key] === wanted),
  );
  return matching.reduce((sum, sample) => sum + sample.value, 0);
}

/** Polls `check` until it returns true (no fixed sleeps: the condition decides). */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('/metrics: the platform health beside serving (PGlite)', () => {
  let platform: Platform;
  const engineer = { actor: 'alice' };
  const worker = { actor: 'worker-1' };

  beforeAll(async () => {
    const { DATABASE_URL: _postgres, TUNELEDGER_TOKEN: _token, ...rest } = process.env;
    const config = loadConfig({
      ...rest,
      TUNELEDGER_DATA_DIR: mkdtempSync(join(tmpdir(), 'tl-metrics-')),
      PORT: '0',
      TUNELEDGER_WORKERS: 'none',
      LOG_LEVEL: 'silent',
    });
    platform = await startPlatform(config, {
      logger: pino({ level: 'silent' }),
      serving: { pool: { threads: 1, threadEntry: compileGenerationThread() } },
    });
  }, 120_000);
  afterAll(async () => {
    await platform?.close();
  });

  const modelPath = writeModelDirectory();
  /** A small LoRA run on revision 1 of the dataset, its base model a real directory (config.json only). */
  const requestRun = (runId: string) =>
    platform.services.runs.requestTrainingRun(
      {
        runId,
        baseModel: { name: 'tiny', source: { kind: 'path', path: modelPath } },
        dataset: { id: 'ds-metrics', revision: 1 },
        method: { kind: 'lora', r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj'] },
        stages: [{ name: 'sft', learningRate: 1e-3, batchSize: 2, epochs: 1 }],
        loss: { kind: 'cross-entropy' },
        seed: 1,
      },
      engineer,
    );

  async function scrape(): Promise<Map<string, Family>> {
    const response = await fetch(new URL('/metrics', platform.graphql.url));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    return parseMetrics(await response.text());
  }
  const logLength = async () => (await platform.store.readAll(START, 100_000)).events.length;

  it('exports training, evaluation, jobs, projection lag, the append rate and process metrics, each with HELP', async () => {
    // The log was empty when the process started: the append counter equals the log's length.
    await eventually(
      async () => value(await scrape(), 'tuneledger_events_appended_total') === (await logLength()),
      'the append counter follows the log',
    );
    const before = await scrape();
    const eventsBefore = await logLength();

    await datasetWithRevision(platform.services, 'ds-metrics', engineer);
    await requestRun('run-metrics');
    await platform.services.runs.claimRun(
      {
        runId: 'run-metrics',
        workerId: worker.actor,
        leaseMs: 60_000,
        backend: { name: 'cpu', device: 'cpu' },
      },
      worker,
    );
    await platform.services.runs.startStage(
      { runId: 'run-metrics', workerId: worker.actor, stageIndex: 0, steps: 10 },
      worker,
    );
    const report = (step: number, loss: number, tokensPerSecond: number) =>
      platform.services.runs.reportProgress(
        {
          runId: 'run-metrics',
          workerId: worker.actor,
          step,
          totalSteps: 10,
          stageIndex: 0,
          epoch: 0,
          loss,
          learningRate: 1e-3,
          gradNorm: 1,
          tokensPerSecond,
          elapsedMs: 100 * step,
          etaMs: 100,
        },
        worker,
      );
    await report(3, 2.5, 400);
    await report(7, 1.25, 600);
    const appended = (await logLength()) - eventsBefore;
    expect(appended).toBeGreaterThanOrEqual(7);

    // The append counter rises by exactly the events appended, by type.
    await eventually(
      async () =>
        value(await scrape(), 'tuneledger_events_appended_total') ===
        value(before, 'tuneledger_events_appended_total') + appended,
      `the append counter rises by ${appended}`,
    );
    const during = await scrape();
    expect(value(during, 'tuneledger_events_appended_total', { type: 'TrainingProgressReported' })).toBe(2);
    // Steps count from the request (step 0) to the last report; loss and throughput are the last reported.
    expect(value(during, 'tuneledger_training_steps_total', { kind: 'lora' })).toBe(7);
    expect(value(during, 'tuneledger_training_progress_reports_total', { kind: 'lora' })).toBe(2);
    expect(value(during, 'tuneledger_training_loss', { kind: 'lora' })).toBe(1.25);
    expect(value(during, 'tuneledger_training_tokens_per_second', { kind: 'lora' })).toBe(600);

    // Projections catch up: every projection's lag returns to 0; the train job counts as running once claimed.
    await eventually(async () => {
      const families = await scrape();
      const lags = families.get('tuneledger_projection_lag_events')?.samples ?? [];
      return lags.length > 0 && lags.every((sample) => sample.value === 0);
    }, 'projection lag back to 0');
    await eventually(
      async () => value(await scrape(), 'tuneledger_jobs', { kind: 'train', status: 'running' }) === 1,
      'the claimed train job counts as running',
    );

    // A second run waits in the queue: queue depth counts it.
    await requestRun('run-queued');
    await eventually(
      async () => value(await scrape(), 'tuneledger_jobs', { kind: 'train', status: 'queued' }) === 1,
      'queue depth counts the queued train job',
    );

    // Finishing the first run: its outcome is counted and its throughput leaves the gauge.
    await platform.services.runs.failRun(
      { runId: 'run-metrics', workerId: worker.actor, reason: 'out of memory', retryable: false },
      worker,
    );
    await eventually(
      async () =>
        value(await scrape(), 'tuneledger_training_runs_finished_total', {
          kind: 'lora',
          outcome: 'failed',
        }) === 1,
      'the failed run is counted',
    );
    const after = await scrape();
    expect(value(after, 'tuneledger_training_tokens_per_second', { kind: 'lora' })).toBe(0);
    await eventually(
      async () => value(await scrape(), 'tuneledger_jobs', { kind: 'train', status: 'running' }) === 0,
      'the failed run no longer counts as running',
    );

    // A lease that lapses: the queued run claimed with a 1 ms lease, expired as soon as the domain allows it.
    await platform.services.runs.claimRun(
      { runId: 'run-queued', workerId: 'worker-2', leaseMs: 1, backend: { name: 'cpu', device: 'cpu' } },
      { actor: 'worker-2' },
    );
    await eventually(
      () =>
        platform.services.runs.expireLease('run-queued', { actor: 'admin' }).then(
          () => true,
          () => false,
        ),
      'the 1 ms lease can be expired',
    );
    await eventually(
      async () => value(await scrape(), 'tuneledger_training_lease_expiries_total') === 1,
      'the lease expiry is counted',
    );

    // A completed run becomes a model version; an evaluation of it fails: both outcomes are counted.
    await requestRun('run-eval');
    await completeRun(platform.services, 'run-eval', worker);
    await platform.services.models.registerModelVersion(
      { modelName: 'metrics-model', runId: 'run-eval' },
      engineer,
    );
    const { evaluationId } = await platform.services.evaluations.requestEvaluation(
      {
        model: { name: 'metrics-model', version: 1 },
        dataset: { id: 'ds-metrics', revision: 1 },
        suites: ['exact-match', 'f1'],
        gate: [{ metric: 'f1', op: 'gte', value: 0.7 }],
      },
      engineer,
    );
    await platform.services.evaluations.failEvaluation({ evaluationId, reason: 'out of memory' }, engineer);
    await eventually(async () => {
      const families = await scrape();
      return (
        value(families, 'tuneledger_evaluations_finished_total', { outcome: 'failed' }) === 1 &&
        value(families, 'tuneledger_training_runs_finished_total', { kind: 'lora', outcome: 'completed' }) ===
          1
      );
    }, 'the failed evaluation and the completed run are counted');

    // Every family is there, with HELP text and the right type.
    const families: Record<string, string> = {
      tuneledger_events_appended_total: 'counter',
      tuneledger_training_steps_total: 'counter',
      tuneledger_training_progress_reports_total: 'counter',
      tuneledger_training_loss: 'gauge',
      tuneledger_training_tokens_per_second: 'gauge',
      tuneledger_training_runs_finished_total: 'counter',
      tuneledger_training_lease_expiries_total: 'counter',
      tuneledger_evaluations_finished_total: 'counter',
      tuneledger_jobs: 'gauge',
      tuneledger_projection_lag_events: 'gauge',
      tuneledger_process_cpu_seconds_total: 'counter',
      tuneledger_process_resident_memory_bytes: 'gauge',
      tuneledger_nodejs_heap_size_used_bytes: 'gauge',
      tuneledger_nodejs_eventloop_lag_seconds: 'gauge',
      tuneledger_serving_requests_total: 'counter',
    };
    const final = await scrape();
    for (const [name, type] of Object.entries(families)) {
      expect(final.get(name)?.type, name).toBe(type);
      expect(final.get(name)?.help, name).toMatch(/\w/);
    }
    expect(value(final, 'tuneledger_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(value(final, 'tuneledger_evaluations_finished_total', { outcome: 'completed' })).toBe(0);
  }, 300_000);
});
