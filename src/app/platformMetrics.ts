import { sql } from 'kysely';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Checkpoint, EventStore, RecordedEvent, Subscription } from '../eventstore/index.js';
import type { ProjectionRunner, ReadModelDb } from '../projections/index.js';

/** Events read past each projection's checkpoint at most, per scrape (a lag above it reads as this bound). */
export const PROJECTION_LAG_SCRAPE_LIMIT = 10_000;

export interface PlatformMetricsOptions {
  /** The registry /metrics serves (serving's). */
  readonly registry: Registry;
  /** The log as stored (no decryption needed: the metrics read no personal field). */
  readonly store: EventStore;
  readonly db: ReadModelDb;
  readonly projections: ProjectionRunner;
  readonly onError?: (error: unknown) => void;
}

export interface PlatformMetrics {
  /** Resolves once the metrics follow the log (from its head when they started). */
  readonly following: Promise<void>;
  close(): Promise<void>;
}

type Outcome = 'completed' | 'failed' | 'cancelled';

/** What is remembered per training run in progress: its kind, last step and last throughput. */
interface RunSeen {
  kind: string;
  lastStep: number | undefined;
  tokensPerSecond: number;
}

/**
 * The platform's own health on /metrics, beside serving's. Two sources, chosen so that a scrape costs the
 * same however long the log grows:
 *
 * - Counters and gauges of what happens (events appended, training progress, finished runs and evaluations,
 *   lease expiries) follow the log with one subscription started at its head when the process starts. Each
 *   event costs a few map operations; a scrape reads the values in memory. Counters start at 0 with the process,
 *   as Prometheus counters do.
 * - State (jobs queued and running per kind, projection lag) is read at scrape time: one grouped count over the
 *   jobs still queued or running, and each projection's distance from the head of the log (at most
 *   PROJECTION_LAG_SCRAPE_LIMIT events read; 0 events when caught up).
 */
export function startPlatformMetrics(options: PlatformMetricsOptions): PlatformMetrics {
  const registers = [options.registry];
  const onError = options.onError ?? (() => undefined);
  const eventsAppended = new Counter({
    name: 'tuneledger_events_appended_total',
    help: 'Events appended to the log since this process started, by event type (all writers, this process or others)',
    labelNames: ['type'],
    registers,
  });
  const trainingSteps = new Counter({
    name: 'tuneledger_training_steps_total',
    help: 'Training steps reported by runs, by run kind (method: lora, full, reward-model, dpo ...)',
    labelNames: ['kind'],
    registers,
  });
  const trainingProgress = new Counter({
    name: 'tuneledger_training_progress_reports_total',
    help: 'TrainingProgressReported events, by run kind',
    labelNames: ['kind'],
    registers,
  });
  const trainingLoss = new Gauge({
    name: 'tuneledger_training_loss',
    help: 'The loss last reported by a run of this kind',
    labelNames: ['kind'],
    registers,
  });
  const trainingTokensPerSecond = new Gauge({
    name: 'tuneledger_training_tokens_per_second',
    help: 'Sum of the training throughput last reported by each run of this kind still in progress',
    labelNames: ['kind'],
    registers,
  });
  const runsFinished = new Counter({
    name: 'tuneledger_training_runs_finished_total',
    help: 'Training runs completed, failed or cancelled, by run kind and outcome',
    labelNames: ['kind', 'outcome'],
    registers,
  });
  const leaseExpiries = new Counter({
    name: 'tuneledger_training_lease_expiries_total',
    help: 'Training run leases that expired (TrainingRunLeaseExpired: the worker stopped renewing)',
    registers,
  });
  const evaluationsFinished = new Counter({
    name: 'tuneledger_evaluations_finished_total',
    help: 'Evaluations completed or failed, by outcome',
    labelNames: ['outcome'],
    registers,
  });
  const knownJobKinds = new Set<string>();
  new Gauge({
    name: 'tuneledger_jobs',
    help: 'Jobs queued (waiting for a worker) or running, by kind; read from the jobs table at scrape time',
    labelNames: ['kind', 'status'],
    registers,
    async collect() {
      const rows = await sql<{ kind: string; status: string; jobs: string | number }>`
        SELECT kind, status, count(*) AS jobs FROM jobs
        WHERE status IN ('queued', 'running') GROUP BY kind, status`.execute(options.db);
      for (const kind of knownJobKinds)
        for (const status of ['queued', 'running']) this.set({ kind, status }, 0);
      for (const row of rows.rows) {
        knownJobKinds.add(row.kind);
        this.set({ kind: row.kind, status: row.status }, Number(row.jobs));
      }
    },
  });
  new Gauge({
    name: 'tuneledger_projection_lag_events',
    help: `Events in the log past each projection's stored checkpoint (read at scrape time, at most ${PROJECTION_LAG_SCRAPE_LIMIT})`,
    labelNames: ['projection'],
    registers,
    async collect() {
      const lags = await options.projections.lag(PROJECTION_LAG_SCRAPE_LIMIT);
      for (const [projection, events] of Object.entries(lags)) this.set({ projection }, events);
    },
  });

  const runs = new Map<string, RunSeen>();
  const throughput = (kind: string) => {
    let sum = 0;
    for (const run of runs.values()) if (run.kind === kind) sum += run.tokensPerSecond;
    trainingTokensPerSecond.set({ kind }, sum);
  };
  /** A run first seen in progress (requested before this process started): its kind from the read model. */
  const runOf = async (runId: string): Promise<RunSeen> => {
    const known = runs.get(runId);
    if (known) return known;
    const row = await options.db
      .selectFrom('runs')
      .select(['kind'])
      .where('run_id', '=', runId)
      .executeTakeFirst()
      .catch(() => undefined);
    const seen: RunSeen = {
      kind: row?.kind ?? 'unknown',
      lastStep: undefined,
      tokensPerSecond: 0,
    };
    runs.set(runId, seen);
    return seen;
  };
  const finish = async (data: Record<string, unknown>, outcome: Outcome) => {
    const runId = String(data['runId']);
    const run = await runOf(runId);
    runs.delete(runId);
    runsFinished.inc({ kind: run.kind, outcome });
    throughput(run.kind);
  };

  const observe = async (event: RecordedEvent) => {
    eventsAppended.inc({ type: event.type });
    const data = (event.data ?? {}) as Record<string, unknown>;
    switch (event.type) {
      case 'TrainingRunRequested': {
        const method = data['method'] as { kind?: unknown } | undefined;
        runs.set(String(data['runId']), {
          kind: typeof method?.kind === 'string' ? method.kind : 'unknown',
          lastStep: 0,
          tokensPerSecond: 0,
        });
        return;
      }
      case 'TrainingProgressReported': {
        const run = await runOf(String(data['runId']));
        const step = numberOr(data['step'], 0);
        // A run first seen mid-way counts from its first report here; a resumed attempt may step back.
        if (run.lastStep !== undefined && step > run.lastStep)
          trainingSteps.inc({ kind: run.kind }, step - run.lastStep);
        run.lastStep = step;
        run.tokensPerSecond = numberOr(data['tokensPerSecond'], 0);
        trainingProgress.inc({ kind: run.kind });
        trainingLoss.set({ kind: run.kind }, numberOr(data['loss'], Number.NaN));
        throughput(run.kind);
        return;
      }
      case 'TrainingRunLeaseExpired':
        leaseExpiries.inc();
        return;
      case 'TrainingRunCompleted':
        return finish(data, 'completed');
      case 'TrainingRunFailed':
        return finish(data, 'failed');
      case 'TrainingRunCancelled':
        return finish(data, 'cancelled');
      case 'EvaluationCompleted':
        evaluationsFinished.inc({ outcome: 'completed' });
        return;
      case 'EvaluationFailed':
        evaluationsFinished.inc({ outcome: 'failed' });
        return;
    }
  };

  let closed = false;
  let subscription: Subscription | undefined;
  let ready: () => void = () => undefined;
  const following = new Promise<void>((resolve) => (ready = resolve));
  const loop = (async () => {
    let position: Checkpoint | undefined;
    for (let retryMs = 100; !closed;) {
      try {
        position ??= await options.store.head();
        subscription = options.store.subscribe(position);
        ready();
        for await (const event of subscription) {
          await observe(event);
          position = event.checkpoint;
          retryMs = 100;
        }
        return;
      } catch (error) {
        if (closed) return;
        onError(error);
        await new Promise((resolve) => setTimeout(resolve, retryMs));
        retryMs = Math.min(5000, retryMs * 2);
      }
    }
  })();
  return {
    following,
    async close() {
      closed = true;
      ready();
      await subscription?.close();
      await loop;
    },
  };
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}
