import { z } from 'zod';
import { checkPiiKey, parsePiiPolicy, PiiPolicyError, type RedactOptions } from '../data/pii/index.js';
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
  TUNELEDGER_SERVING_BATCH: integer(32, 1),
  TUNELEDGER_SERVING_BATCH_TOKENS: integer(512, 1),
  TUNELEDGER_SERVING_RETRY_AFTER_S: integer(1, 1),
  TUNELEDGER_SERVING_MAX_TOKENS: integer(64, 1),
  TUNELEDGER_SERVING_BLOCKLIST: list,
  TUNELEDGER_SERVING_REFUSAL: z.string().min(1).optional(),
  TUNELEDGER_MONITOR_WINDOW: integer(20, 2),
  TUNELEDGER_MONITOR_ENTROPY_RISE_PCT: number(15),
  TUNELEDGER_MONITOR_LATENCY_RISE_PCT: number(100),
  TUNELEDGER_MONITOR_ERROR_RISE_PCT: number(100),
  TUNELEDGER_AUTO_ROLLBACK: flag(true),
  /** The action per kind of PII in prompts and logged answers, e.g. phone=pseudonymise,email=keep (default: redact all). */
  TUNELEDGER_SERVING_PII_POLICY: z.string().default(''),
  TUNELEDGER_PII_KEY: z.string().optional(),
});

export interface ServingSettings {
  readonly pool: GenerationPoolOptions;
  readonly defaultMaxTokens: number;
  readonly outputFilter: OutputFilterConfig;
  readonly monitor: MonitorConfig;
  /** The PII policy (and pseudonym key) prompts, corrections and logged answers are redacted with. */
  readonly piiRedaction: RedactOptions;
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
  let piiRedaction: RedactOptions;
  try {
    const policy = parsePiiPolicy(e.TUNELEDGER_SERVING_PII_POLICY);
    checkPiiKey(policy, e.TUNELEDGER_PII_KEY);
    piiRedaction = { policy, ...(e.TUNELEDGER_PII_KEY ? { key: e.TUNELEDGER_PII_KEY } : {}) };
  } catch (error) {
    if (!(error instanceof PiiPolicyError)) throw error;
    throw new Error(`serving configuration is invalid (TUNELEDGER_SERVING_PII_POLICY: ${error.message})`);
  }
  return {
    piiRedaction,
    pool: {
      threads: e.TUNELEDGER_SERVING_THREADS,
      maxQueue: e.TUNELEDGER_SERVING_QUEUE,
      maxBatch: e.TUNELEDGER_SERVING_BATCH,
      batchTokens: e.TUNELEDGER_SERVING_BATCH_TOKENS,
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
