import { CronExpressionParser } from 'cron-parser';
import type { Kysely } from 'kysely';
import { isDomainError, isWorse, type GateThreshold } from '../../domain/index.js';
import { listDeployments, listEvaluations, listModels, listModelVersions } from '../../projections/index.js';
import type { CommandContext, Services } from '../../services/index.js';

/** Monday 03:00 UTC: the standard benchmark once a week. */
export const DEFAULT_BENCHMARK_CRON = '0 3 * * 1';

export interface BenchmarkScheduleOptions {
  readonly services: Services;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the read models of every area share one database
  readonly db: Kysely<any>;
  /** The standard benchmark: a dataset revision whose eval split every production version answers. */
  readonly benchmark: { readonly datasetId: string; readonly revision: number };
  /** When to evaluate (cron, UTC; default weekly, Monday 03:00). */
  readonly cron?: string;
  /** Gate of benchmark evaluations; a model's own thresholds in perModelGate win. */
  readonly gate?: readonly GateThreshold[];
  readonly perModelGate?: Readonly<Record<string, readonly GateThreshold[]>>;
  /** The metric compared with the version's first benchmark result (default f1). */
  readonly metric?: string;
  /** A drop of more than this many percent records DegradationDetected (default 5). */
  readonly thresholdPct?: number;
  readonly clock: { now(): Date };
  /** Who requests the evaluations (default `scheduler`). */
  readonly actor?: string;
}

export interface BenchmarkTick {
  /** Evaluation ids requested in this tick. */
  readonly requested: readonly string[];
  /** Degradations recorded in this tick. */
  readonly degradations: readonly {
    deploymentName: string;
    evaluationId: string;
    baseline: number;
    current: number;
  }[];
}

/**
 * The benchmark schedule: at each cron slot it requests the standard benchmark evaluation of every
 * production version (one evaluation id per version and slot, so a second scheduler or a retried tick
 * requests nothing twice), and after those evaluations complete it compares each version's latest result
 * with its first one: a drop beyond the threshold records DegradationDetected (metric `benchmark`) on every
 * deployment running that version. `tick()` does one pass at the clock's time; `start()` ticks on a timer.
 */
export class BenchmarkSchedule {
  private lastTick: Date;
  private readonly cron: string;

  constructor(private readonly options: BenchmarkScheduleOptions) {
    this.cron = options.cron ?? DEFAULT_BENCHMARK_CRON;
    // Fails at start-up on a bad expression, not at the first slot.
    this.slotsBetween(new Date(0), new Date(0));
    this.lastTick = options.clock.now();
  }

  /** The first slot strictly after `after`. */
  nextSlot(after: Date): Date {
    return CronExpressionParser.parse(this.cron, { currentDate: after, tz: 'UTC' }).next().toDate();
  }

  private slotsBetween(from: Date, to: Date): Date[] {
    let expression;
    try {
      expression = CronExpressionParser.parse(this.cron, { currentDate: from, endDate: to, tz: 'UTC' });
    } catch (error) {
      throw new Error(
        `benchmark schedule: "${this.cron}" is not a cron expression (${(error as Error).message}); use five fields, e.g. "${DEFAULT_BENCHMARK_CRON}"`,
      );
    }
    const slots: Date[] = [];
    while (expression.hasNext()) slots.push(expression.next().toDate());
    return slots;
  }

  private context(idempotencyKey?: string): CommandContext {
    return {
      actor: this.options.actor ?? 'scheduler',
      roles: ['engineer'],
      ...(idempotencyKey ? { idempotencyKey } : {}),
    };
  }

  async tick(): Promise<BenchmarkTick> {
    const now = this.options.clock.now();
    const slots = this.slotsBetween(this.lastTick, now);
    this.lastTick = now;
    const requested: string[] = [];
    const slot = slots.at(-1);
    if (slot) {
      // Several missed slots (a scheduler that was down) make one evaluation, not a burst.
      for (const version of await this.productionVersions()) {
        const evaluationId = `benchmark-${version.name}-v${version.version}-${slot.toISOString()}`;
        try {
          await this.options.services.evaluations.requestEvaluation(
            {
              evaluationId,
              model: version,
              dataset: { id: this.options.benchmark.datasetId, revision: this.options.benchmark.revision },
              suites: ['benchmark'],
              gate: [...(this.options.perModelGate?.[version.name] ?? this.options.gate ?? [])],
            },
            this.context(`benchmark:${evaluationId}`),
          );
          requested.push(evaluationId);
        } catch (error) {
          if (!(isDomainError(error) && error.code === 'EVALUATION_ALREADY_REQUESTED')) throw error;
        }
      }
    }
    return { requested, degradations: await this.checkDegradations() };
  }

  private async productionVersions(): Promise<{ name: string; version: number }[]> {
    const out: { name: string; version: number }[] = [];
    for (const model of await all((after) => listModels(this.options.db, { first: 500, after }))) {
      const versions = await all((after) =>
        listModelVersions(this.options.db, model.model_name, { first: 500, after, retainedOnly: true }),
      );
      for (const v of versions)
        if (v.stage === 'production') out.push({ name: v.model_name, version: v.version });
    }
    return out;
  }

  private async checkDegradations(): Promise<BenchmarkTick['degradations']> {
    const metric = this.options.metric ?? 'f1';
    const thresholdPct = this.options.thresholdPct ?? 5;
    const recorded: { deploymentName: string; evaluationId: string; baseline: number; current: number }[] =
      [];
    const deployments = await all((after) => listDeployments(this.options.db, { first: 500, after }));
    const checked = new Set<string>();
    for (const deployment of deployments) {
      if (deployment.model_name === null || deployment.active_version === null) continue;
      const model = { name: deployment.model_name, version: deployment.active_version };
      const benchmarks = (
        await all((after) =>
          listEvaluations(this.options.db, {
            first: 500,
            after,
            modelName: model.name,
            modelVersion: model.version,
            status: 'completed',
          }),
        )
      ).filter(
        (e) =>
          e.evaluation_id.startsWith(`benchmark-${model.name}-v${model.version}-`) &&
          e.dataset_id === this.options.benchmark.datasetId &&
          e.dataset_revision === this.options.benchmark.revision &&
          typeof (e.metrics as Record<string, unknown> | null)?.[metric] === 'number',
      );
      if (benchmarks.length < 2) continue;
      // Ids end with the slot time: sorting them orders the results by slot.
      benchmarks.sort((a, b) => (a.evaluation_id < b.evaluation_id ? -1 : 1));
      const first = benchmarks[0]!;
      const latest = benchmarks.at(-1)!;
      const baseline = (first.metrics as Record<string, number>)[metric]!;
      const current = (latest.metrics as Record<string, number>)[metric]!;
      const changePct = ((current - baseline) / Math.max(Math.abs(baseline), 1e-9)) * 100;
      checked.add(latest.evaluation_id);
      if (!isWorse('benchmark', changePct, thresholdPct)) continue;
      try {
        const result = await this.options.services.deployments.detectDegradation(
          {
            deploymentName: deployment.deployment_name,
            metric: 'benchmark',
            baseline,
            current,
            window: {
              from: new Date(first.finished_at ?? first.requested_at).toISOString(),
              to: new Date(latest.finished_at ?? latest.requested_at).toISOString(),
              samples: benchmarks.length,
            },
          },
          this.context(`benchmark-degradation:${latest.evaluation_id}:${deployment.deployment_name}`),
        );
        if (!result.replayed && result.events.length > 0) {
          recorded.push({
            deploymentName: deployment.deployment_name,
            evaluationId: latest.evaluation_id,
            baseline,
            current,
          });
        }
      } catch (error) {
        if (!isDomainError(error)) throw error;
      }
    }
    return recorded;
  }

  /** Ticks at every slot (and every `pollMs` for completed evaluations) until stopped. */
  start(pollMs = 60_000, onError: (error: unknown) => void = () => {}): { stop(): void } {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const schedule = () => {
      if (stopped) return;
      const now = this.options.clock.now();
      const wait = Math.min(pollMs, Math.max(0, this.nextSlot(now).getTime() - now.getTime()) + 10);
      timer = setTimeout(() => {
        this.tick().catch(onError).finally(schedule);
      }, wait);
    };
    schedule();
    return {
      stop() {
        stopped = true;
        if (timer) clearTimeout(timer);
      },
    };
  }
}

async function all<T>(
  page: (after: string | undefined) => Promise<{ items: readonly T[]; nextCursor: string | null }>,
) {
  const out: T[] = [];
  let after: string | undefined;
  for (;;) {
    const result = await page(after);
    out.push(...result.items);
    if (!result.nextCursor) return out;
    after = result.nextCursor;
  }
}
