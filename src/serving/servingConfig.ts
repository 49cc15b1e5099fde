import { z } from 'zod';
import type { GenerationPoolOptions } from './generationPool.js';
import type { MonitorConfig } from './deploymentMonitor.js';
import type { OutputFilterConfig } from './outputFilter.js';

const integer = (fallback: number, min: number) => z.coerce.number().int().min(min).default(fallback);
const number = (fallback: number) => z.coerce.number().positive().default(fallback);
const list = z
  .string()
  .default('')
  .transform((text) =>
    text
      .split(',')
      .map((word) => word.trim())
      .filter((word) => word.length > 0),
  );
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
    .optional()
    .transform((value) => (value === undefined ? fallback : ['true', '1', 'yes', 'on'].includes(value)));

/** The serving variables of the environment; every one has a default that runs the embedded setup. */
export const servingEnvSchema = z.object({
  TUNELEDGER_SERVING_THREADS: integer(1, 1),
  TUNELEDGER_SERVING_QUEUE: integer(32, 0),
  TUNELEDGER_SERVING_RETRY_AFTER_S: integer(1, 1),
  TUNELEDGER_SERVING_MAX_TOKENS: integer(64, 1),
  TUNELEDGER_SERVING_BLOCKLIST: list,
  TUNELEDGER_SERVING_REFUSAL: z.string().min(1).optional(),
  TUNELEDGER_MONITOR_WINDOW: integer(20, 2),
  TUNELEDGER_MONITOR_ENTROPY_RISE_PCT: number(15),
  TUNELEDGER_MONITOR_LATENCY_RISE_PCT: number(100),
  TUNELEDGER_MONITOR_ERROR_RISE_PCT: number(100),
  TUNELEDGER_AUTO_ROLLBACK: flag(true),
});

export interface ServingSettings {
  readonly pool: GenerationPoolOptions;
  readonly defaultMaxTokens: number;
  readonly outputFilter: OutputFilterConfig;
  readonly monitor: MonitorConfig;
}

/** Serving settings from the environment; a bad value names the variable and what it needs. */
export function servingSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ServingSettings {
  const parsed = servingEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
      .join('; ');
    throw new Error(
      `serving configuration is invalid (${problems}); fix the variables or unset them for the defaults`,
    );
  }
  const e = parsed.data;
  return {
    pool: {
      threads: e.TUNELEDGER_SERVING_THREADS,
      maxQueue: e.TUNELEDGER_SERVING_QUEUE,
      retryAfterSeconds: e.TUNELEDGER_SERVING_RETRY_AFTER_S,
    },
    defaultMaxTokens: e.TUNELEDGER_SERVING_MAX_TOKENS,
    outputFilter: {
      blocklist: e.TUNELEDGER_SERVING_BLOCKLIST,
      ...(e.TUNELEDGER_SERVING_REFUSAL ? { refusal: e.TUNELEDGER_SERVING_REFUSAL } : {}),
    },
    monitor: {
      windowSize: e.TUNELEDGER_MONITOR_WINDOW,
      entropyRisePct: e.TUNELEDGER_MONITOR_ENTROPY_RISE_PCT,
      latencyRisePct: e.TUNELEDGER_MONITOR_LATENCY_RISE_PCT,
      errorRateRisePct: e.TUNELEDGER_MONITOR_ERROR_RISE_PCT,
      autoRollback: e.TUNELEDGER_AUTO_ROLLBACK,
    },
  };
}
