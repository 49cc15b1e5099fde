import { resolve } from 'node:path';
import { z } from 'zod';
import { parseS3Url, type ArtifactLocation } from '../data/index.js';
import { LedgerError, ledgerSigningKeyFrom, type LedgerSigningKey } from '../eventstore/index.js';

const workerKinds = ['train', 'evaluate', 'augment', 'deploy', 'rollback'] as const;
export type WorkerKind = (typeof workerKinds)[number];

const booleanFlag = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

/** Every environment variable tuneledger reads, validated once at start-up (README lists them). */
const environmentSchema = z.object({
  TUNELEDGER_DATA_DIR: z.string().min(1).default('.data'),
  /** A new embedded database is copied from the template `npm install` built (false: PGlite's initdb instead). */
  TUNELEDGER_PGLITE_TEMPLATE: booleanFlag.default(true),
  DATABASE_URL: z.string().url().optional(),
  EVENTSTORE_URL: z.string().min(1).optional(),
  TUNELEDGER_ARTIFACTS_DIR: z.string().min(1).optional(),
  /** s3://bucket/prefix: artifacts in an S3-compatible bucket instead of TUNELEDGER_ARTIFACTS_DIR. */
  TUNELEDGER_ARTIFACTS_URL: z
    .string()
    .min(1)
    .superRefine((value, context) => {
      try {
        parseS3Url(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
      }
    })
    .optional(),
  /** The S3-compatible server (MinIO, R2, ...); unset: AWS S3 itself. */
  TUNELEDGER_S3_ENDPOINT: z.string().url().optional(),
  /** Path-style addressing; default true with an endpoint (what MinIO and most others need), false on AWS. */
  TUNELEDGER_S3_FORCE_PATH_STYLE: booleanFlag.optional(),
  /** Seconds a presigned artifact URL handed out by GET /artifacts/:sha256 stays valid. */
  TUNELEDGER_ARTIFACT_URL_TTL_S: z.coerce.number().int().min(1).max(604_800).default(900),
  AWS_REGION: z.string().min(1).optional(),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  TUNELEDGER_WORKERS: z
    .string()
    .default(workerKinds.join(','))
    .transform((value, context) => {
      if (value.trim() === '' || value === 'none') return [] as WorkerKind[];
      const kinds = value.split(',').map((kind) => kind.trim());
      const unknown = kinds.filter((kind) => !(workerKinds as readonly string[]).includes(kind));
      if (unknown.length > 0) {
        context.addIssue({
          code: 'custom',
          message: `unknown worker kind(s) ${unknown.join(', ')}; use a comma list of ${workerKinds.join(', ')} or "none"`,
        });
      }
      return kinds as WorkerKind[];
    }),
  TUNELEDGER_INTROSPECTION: booleanFlag.default(true),
  /** How long a GraphQL query may run before it stops with DEADLINE_EXCEEDED. */
  TUNELEDGER_GRAPHQL_DEADLINE_MS: z.coerce.number().int().min(1).default(10_000),
  /** Requests per second each API token (each address in local mode) may send to /graphql; 0: no limit. */
  TUNELEDGER_GRAPHQL_RATE: z.coerce.number().min(0).default(100),
  /** Requests a caller may send at once after being idle. */
  TUNELEDGER_GRAPHQL_BURST: z.coerce.number().int().min(1).default(200),
  /** graphql-ws subscriptions one caller may hold open at once, over all its connections. */
  TUNELEDGER_GRAPHQL_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(1).default(200),
  TUNELEDGER_TF_BACKEND: z.enum(['node-gpu', 'node', 'wasm', 'cpu']).optional(),
  /** Data-parallel gradient workers beside each training thread (read by the training worker). */
  TUNELEDGER_TRAIN_WORKERS: z
    .string()
    .trim()
    .regex(/^(auto|\d+)$/, 'use a whole number of gradient workers (0: none) or "auto"')
    .optional(),
  /** The bearer token a CLI command sends when it forwards a write to the server holding the data directory. */
  TUNELEDGER_TOKEN: z.string().min(1).optional(),
  /** The Ed25519 key that signs ledger checkpoints: a PEM file, or the PEM / base64 PKCS#8 text itself. */
  TUNELEDGER_LEDGER_KEY_FILE: z.string().min(1).optional(),
  TUNELEDGER_LEDGER_KEY: z.string().min(1).optional(),
  /** Seconds between the server's ledger checkpoints when a key is set (0: only `tuneledger ledger checkpoint`). */
  TUNELEDGER_LEDGER_CHECKPOINT_S: z.coerce.number().int().min(0).default(300),
  /** Time travel: a snapshot of the folded world every this many registry, deployment and lineage events (0: none). */
  TUNELEDGER_ASOF_SNAPSHOT_EVERY: z.coerce.number().int().min(0).default(500),
  /** Seconds between the server's checks for snapshots due. */
  TUNELEDGER_ASOF_SNAPSHOT_CHECK_S: z.coerce.number().int().min(1).default(60),
  /**
   * Seconds between the background passes that score served interactions with the current reward model of
   * their model (`<model>-reward`; 0: never).
   */
  TUNELEDGER_REWARD_SCORING_S: z.coerce.number().min(0).default(10),
  /** Served interactions per reward-scoring batch. */
  TUNELEDGER_REWARD_SCORING_BATCH: z.coerce.number().int().min(1).max(256).default(32),
  /** The HMAC key PII pseudonyms are made with (a dataset or serving policy that pseudonymises needs it). */
  TUNELEDGER_PII_KEY: z.string().min(16, 'use a PII key of at least 16 characters').optional(),
  /** Wraps every data subject's key (docs/privacy.md); generated into <data dir>/master.key when unset. */
  TUNELEDGER_MASTER_KEY: z
    .string()
    .trim()
    .refine(
      (value) => /^[0-9a-f]{64}$/i.test(value) || Buffer.from(value, 'base64').length === 32,
      'use 32 random bytes as base64 (44 characters) or 64 hex digits',
    )
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  readonly dataDir: string;
  /** Whether a new embedded database starts as a copy of dist/pglite-template (src/app/pgliteTemplate.ts). */
  readonly pgliteTemplate: boolean;
  readonly databaseUrl?: string;
  readonly eventStoreUrl?: string;
  /** The local artifact directory (the store unless TUNELEDGER_ARTIFACTS_URL names a bucket). */
  readonly artifactsDir: string;
  /** Where artifacts live: TUNELEDGER_ARTIFACTS_URL's bucket, else artifactsDir. */
  readonly artifacts: ArtifactLocation;
  /** How long presigned artifact URLs stay valid. */
  readonly artifactUrlTtlSeconds: number;
  readonly host: string;
  readonly port: number;
  readonly workers: readonly WorkerKind[];
  readonly introspection: boolean;
  readonly graphqlDeadlineMs: number;
  /** graphql-ws subscriptions one caller may hold open at once. */
  readonly graphqlMaxSubscriptions: number;
  /** Per-caller rate limit of /graphql; false: none. */
  readonly graphqlRateLimit: { readonly requestsPerSecond: number; readonly burst: number } | false;
  readonly tfBackend?: string;
  readonly logLevel: string;
  readonly apiToken?: string;
  /** The ledger's signing key, when one is configured (never stored in the database). */
  readonly ledgerKey?: LedgerSigningKey;
  readonly ledgerCheckpointSeconds: number;
  /** Time travel snapshots: every this many folded events (0: none), checked every `checkSeconds`. */
  readonly asOfSnapshots: { readonly every: number; readonly checkSeconds: number };
  /** Served interactions scored by the current reward model: every `everySeconds` (0: never), `batch` at a time. */
  readonly rewardScoring: { readonly everySeconds: number; readonly batch: number };
  /** TUNELEDGER_PII_KEY: the key of PII pseudonyms. */
  readonly piiKey?: string;
  readonly masterKey?: string;
}

export class ConfigError extends Error {}

export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const parsed = environmentSchema.safeParse(environment);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration in environment variables:\n${problems.join('\n')}`);
  }
  const env = parsed.data;
  let ledgerKey: LedgerSigningKey | undefined;
  try {
    ledgerKey = ledgerSigningKeyFrom({
      keyFile: env.TUNELEDGER_LEDGER_KEY_FILE,
      key: env.TUNELEDGER_LEDGER_KEY,
    });
  } catch (error) {
    if (error instanceof LedgerError) throw new ConfigError(`invalid configuration: ${error.message}`);
    throw error;
  }
  const dataDir = resolve(env.TUNELEDGER_DATA_DIR);
  const artifactsDir = resolve(env.TUNELEDGER_ARTIFACTS_DIR ?? `${dataDir}/artifacts`);
  const artifacts: ArtifactLocation = env.TUNELEDGER_ARTIFACTS_URL
    ? {
        kind: 's3',
        ...parseS3Url(env.TUNELEDGER_ARTIFACTS_URL),
        ...(env.TUNELEDGER_S3_ENDPOINT ? { endpoint: env.TUNELEDGER_S3_ENDPOINT } : {}),
        forcePathStyle: env.TUNELEDGER_S3_FORCE_PATH_STYLE ?? env.TUNELEDGER_S3_ENDPOINT !== undefined,
        ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
      }
    : { kind: 'directory', path: artifactsDir };
  return {
    dataDir,
    pgliteTemplate: env.TUNELEDGER_PGLITE_TEMPLATE,
    databaseUrl: env.DATABASE_URL,
    eventStoreUrl: env.EVENTSTORE_URL,
    artifactsDir,
    artifacts,
    artifactUrlTtlSeconds: env.TUNELEDGER_ARTIFACT_URL_TTL_S,
    host: env.HOST,
    port: env.PORT,
    workers: env.TUNELEDGER_WORKERS,
    introspection: env.TUNELEDGER_INTROSPECTION,
    graphqlDeadlineMs: env.TUNELEDGER_GRAPHQL_DEADLINE_MS,
    graphqlMaxSubscriptions: env.TUNELEDGER_GRAPHQL_MAX_SUBSCRIPTIONS,
    graphqlRateLimit:
      env.TUNELEDGER_GRAPHQL_RATE === 0
        ? false
        : { requestsPerSecond: env.TUNELEDGER_GRAPHQL_RATE, burst: env.TUNELEDGER_GRAPHQL_BURST },
    tfBackend: env.TUNELEDGER_TF_BACKEND,
    logLevel: env.LOG_LEVEL,
    ...(env.TUNELEDGER_TOKEN ? { apiToken: env.TUNELEDGER_TOKEN } : {}),
    ledgerKey,
    ledgerCheckpointSeconds: env.TUNELEDGER_LEDGER_CHECKPOINT_S,
    asOfSnapshots: {
      every: env.TUNELEDGER_ASOF_SNAPSHOT_EVERY,
      checkSeconds: env.TUNELEDGER_ASOF_SNAPSHOT_CHECK_S,
    },
    rewardScoring: {
      everySeconds: env.TUNELEDGER_REWARD_SCORING_S,
      batch: env.TUNELEDGER_REWARD_SCORING_BATCH,
    },
    ...(env.TUNELEDGER_PII_KEY ? { piiKey: env.TUNELEDGER_PII_KEY } : {}),
    ...(env.TUNELEDGER_MASTER_KEY ? { masterKey: env.TUNELEDGER_MASTER_KEY } : {}),
  };
}
