import { pino, type Logger } from 'pino';
import { artifactStoreFor, type ArtifactLocation, type ArtifactStore } from '../data/index.js';
import { openDatabase, PostgresEventStore, type Database, type EventStore } from '../eventstore/index.js';
import { createServices, systemClock, uuidIds, type Services } from '../services/index.js';
import { runWorker, type JobHandler, type WorkerHandle, type WorkerLog } from './runtime/runWorker.js';
import { augmentationJobHandler } from './augmentation/index.js';
import { deploymentJobHandlers } from './deployment/index.js';
import { evaluationJobHandler, type EvaluationWorkerOptions } from './evaluation/index.js';
import { trainingJobHandler, type TrainingWorkerOptions } from './training/trainingJob.js';

/** What every job handler is built from. */
export interface HandlerDependencies {
  readonly services: Services;
  readonly store: EventStore;
  readonly artifacts: ArtifactStore;
}

export type TrainingSettings = Omit<TrainingWorkerOptions, keyof HandlerDependencies>;
export type EvaluationSettings = Omit<EvaluationWorkerOptions, keyof HandlerDependencies>;

/** The job kinds createJobHandlers knows (the kinds the jobs projection writes). */
export const JOB_KINDS = ['train', 'evaluate', 'augment', 'deploy', 'rollback'] as const;

/**
 * The handlers of every job kind, over one set of dependencies: the composition root (in-process workers
 * of `npm start`) and `tuneledger worker` both take them from here. Deploy and rollback record the
 * activation without a serving target here; pass handlers with one through `extra` to replace them.
 */
export function createJobHandlers(
  dependencies: HandlerDependencies,
  settings: {
    readonly training?: TrainingSettings;
    readonly evaluation?: EvaluationSettings;
    readonly extra?: Readonly<Record<string, JobHandler>>;
  } = {},
): Record<string, JobHandler> {
  return {
    train: trainingJobHandler({ ...dependencies, ...settings.training }),
    evaluate: evaluationJobHandler({ ...dependencies, ...settings.evaluation }),
    augment: augmentationJobHandler({ services: dependencies.services, artifacts: dependencies.artifacts }),
    ...deploymentJobHandlers({ services: dependencies.services }),
    ...settings.extra,
  };
}

export interface WorkerProcessOptions {
  /** PostgreSQL shared with the API and other workers; without it the embedded database in dataDir. */
  readonly databaseUrl?: string;
  readonly dataDir?: string;
  /** A local directory (shared with the API), or an S3-compatible bucket. */
  readonly artifacts: ArtifactLocation;
  readonly kinds: readonly string[];
  readonly concurrency?: number;
  readonly leaseMs?: number;
  readonly pollMs?: number;
  readonly maxFailures?: number;
  readonly training?: TrainingSettings;
  readonly extraHandlers?: (dependencies: HandlerDependencies) => Record<string, JobHandler>;
  /** Stop gracefully on SIGTERM and SIGINT (checkpoint, release), then exit. */
  readonly installSignalHandlers?: boolean;
  readonly logger?: Logger;
}

export interface WorkerProcess {
  readonly handle: WorkerHandle;
  readonly database: Database;
  /** Stops the worker gracefully and closes the database. */
  close(): Promise<void>;
}

/** A worker process: its own connection to the shared database, the artifact store, and runWorker. */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const logger = options.logger ?? pino({ name: 'tuneledger-worker' });
  const database = await openDatabase({
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    onConnectionError: (error) =>
      logger.warn({ err: error }, 'a database connection failed; reconnecting on next use'),
  });
  const store = new PostgresEventStore(database);
  const dependencies: HandlerDependencies = {
    services: createServices({ store, clock: systemClock, ids: uuidIds }),
    store,
    artifacts: artifactStoreFor(options.artifacts),
  };
  const log: WorkerLog = {
    info: (message, fields) => logger.info(fields ?? {}, message),
    warn: (message, fields) => logger.warn(fields ?? {}, message),
  };
  const handle = runWorker({
    kinds: options.kinds,
    handlers: createJobHandlers(dependencies, {
      ...(options.training ? { training: options.training } : {}),
      ...(options.extraHandlers ? { extra: options.extraHandlers(dependencies) } : {}),
    }),
    db: database.db,
    log,
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    ...(options.maxFailures !== undefined ? { maxFailures: options.maxFailures } : {}),
  });
  logger.info({ workerId: handle.workerId, kinds: options.kinds, database: database.kind }, 'worker started');
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await handle.stop();
      await store.close();
      await database.close();
      logger.info({ workerId: handle.workerId }, 'worker stopped');
    })());
  if (options.installSignalHandlers) stopOnSignals(close, logger);
  return { handle, database, close };
}

/** SIGTERM and SIGINT stop the worker gracefully (jobs checkpoint and release), then the process exits. */
export function stopOnSignals(close: () => Promise<void>, logger: Logger): void {
  const onSignal = (signal: string) => {
    logger.info({ signal }, 'stopping: jobs checkpoint and release their leases');
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ error: String(error) }, 'worker did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
