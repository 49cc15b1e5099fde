import { z } from 'zod';
import type { GateThreshold } from '../../domain/index.js';
import { gateThreshold } from '../../domain/index.js';
import { DEFAULT_BENCHMARK_CRON } from './benchmarkSchedule.js';
import type { EvaluationWorkerOptions } from './evaluationJob.js';

const positiveInt = z.coerce.number().int().positive();

const envSchema = z.object({
  TUNELEDGER_EVAL_MAX_TOKENS: positiveInt.optional(),
  TUNELEDGER_EVAL_NOISE: z.string().optional(),
  TUNELEDGER_EVAL_HEATMAPS: z.coerce.number().int().nonnegative().optional(),
  TUNELEDGER_EVAL_LEASE_MS: positiveInt.optional(),
  TUNELEDGER_JUDGE_URL: z.url().optional(),
  TUNELEDGER_JUDGE_MODEL: z.string().min(1).optional(),
  TUNELEDGER_JUDGE_API_KEY: z.string().min(1).optional(),
  TUNELEDGER_BENCHMARK_DATASET: z
    .string()
    .regex(/^.+@\d+$/, 'DATASET_ID@REVISION, e.g. standard-bench@3')
    .optional(),
  TUNELEDGER_BENCHMARK_CRON: z.string().min(1).optional(),
  TUNELEDGER_BENCHMARK_METRIC: z.string().min(1).optional(),
  TUNELEDGER_BENCHMARK_THRESHOLD_PCT: z.coerce.number().positive().optional(),
  TUNELEDGER_BENCHMARK_GATE: z.string().optional(),
});

export type EvaluationSettings = Omit<EvaluationWorkerOptions, 'services' | 'store' | 'artifacts'>;

export interface BenchmarkSettings {
  readonly benchmark: { readonly datasetId: string; readonly revision: number };
  readonly cron: string;
  readonly metric: string;
  readonly thresholdPct: number;
  readonly gate: readonly GateThreshold[];
}

/**
 * The evaluation worker's and the benchmark schedule's settings from environment variables, validated:
 * a bad value fails at start-up naming the variable. Benchmark settings are undefined without
 * TUNELEDGER_BENCHMARK_DATASET (no schedule runs).
 */
export function evaluationSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): {
  worker: EvaluationSettings;
  benchmark: BenchmarkSettings | undefined;
} {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${String(issue.path[0])}: ${issue.message}`);
  }
  const e = parsed.data;
  const worker: EvaluationSettings = {
    ...(e.TUNELEDGER_EVAL_MAX_TOKENS !== undefined ? { maxTokens: e.TUNELEDGER_EVAL_MAX_TOKENS } : {}),
    ...(e.TUNELEDGER_EVAL_NOISE !== undefined ? { noiseTypes: e.TUNELEDGER_EVAL_NOISE } : {}),
    ...(e.TUNELEDGER_EVAL_HEATMAPS !== undefined ? { heatmapExamples: e.TUNELEDGER_EVAL_HEATMAPS } : {}),
    ...(e.TUNELEDGER_EVAL_LEASE_MS !== undefined ? { evaluationLeaseMs: e.TUNELEDGER_EVAL_LEASE_MS } : {}),
    ...(e.TUNELEDGER_JUDGE_URL || e.TUNELEDGER_JUDGE_MODEL
      ? {
          judge: {
            ...(e.TUNELEDGER_JUDGE_URL ? { url: e.TUNELEDGER_JUDGE_URL } : {}),
            ...(e.TUNELEDGER_JUDGE_MODEL ? { model: e.TUNELEDGER_JUDGE_MODEL } : {}),
            ...(e.TUNELEDGER_JUDGE_API_KEY ? { apiKey: e.TUNELEDGER_JUDGE_API_KEY } : {}),
          },
        }
      : {}),
  };
  let benchmark: BenchmarkSettings | undefined;
  if (e.TUNELEDGER_BENCHMARK_DATASET) {
    const at = e.TUNELEDGER_BENCHMARK_DATASET.lastIndexOf('@');
    let gate: GateThreshold[] = [];
    if (e.TUNELEDGER_BENCHMARK_GATE) {
      try {
        gate = z.array(gateThreshold).parse(JSON.parse(e.TUNELEDGER_BENCHMARK_GATE));
      } catch (error) {
        throw new Error(
          `TUNELEDGER_BENCHMARK_GATE: expected JSON [{"metric","op":"gte"|"lte","value"}] (${(error as Error).message.split('\n')[0]})`,
        );
      }
    }
    benchmark = {
      benchmark: {
        datasetId: e.TUNELEDGER_BENCHMARK_DATASET.slice(0, at),
        revision: Number(e.TUNELEDGER_BENCHMARK_DATASET.slice(at + 1)),
      },
      cron: e.TUNELEDGER_BENCHMARK_CRON ?? DEFAULT_BENCHMARK_CRON,
      metric: e.TUNELEDGER_BENCHMARK_METRIC ?? 'f1',
      thresholdPct: e.TUNELEDGER_BENCHMARK_THRESHOLD_PCT ?? 5,
      gate,
    };
  }
  return { worker, benchmark };
}
