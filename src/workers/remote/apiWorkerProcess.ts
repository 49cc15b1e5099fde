import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { runWorker, type WorkerHandle, type WorkerLog } from '../runtime/runWorker.js';
import { augmentationJobHandler } from '../augmentation/augmentationJob.js';
import { deploymentJobHandlers } from '../deployment/deploymentJobs.js';
import { evaluationJobHandler } from '../evaluation/evaluationJob.js';
import { trainingJobHandler } from '../training/trainingJob.js';
import type { EvaluationSettings, TrainingSettings } from '../workerProcess.js';
import { JOB_KINDS, stopOnSignals } from '../workerProcess.js';
import { ApiArtifactStore } from './apiArtifactStore.js';
import { ApiClient, type ApiClientOptions } from './apiClient.js';
import { apiEvaluationServices } from './apiEvaluationServices.js';
import { apiJobQueue } from './apiJobQueue.js';
import { apiAugmentationServices, apiDeploymentServices } from './apiJobReportServices.js';
import { ApiStreams } from './apiStreams.js';
import { ApiTrainingServices } from './apiTrainingServices.js';

/** The roles (GraphQL `Role` names, as `me.roles` answers them) that may run a worker. */
const workerRoles: readonly string[] = ['WORKER', 'ADMIN'];

/** The job kinds a worker with no database runs: every kind the database worker runs. */
export const API_JOB_KINDS = JOB_KINDS;

export interface ApiWorkerProcessOptions {
  /** The platform's URL and a `worker` token; retry settings for a lost connection. */
  readonly api: ApiClientOptions;
  /** This worker's own directory: the artifact cache (by hash) and unpacked models. */
  readonly dataDir: string;
  readonly kinds: readonly string[];
  readonly concurrency?: number;
  readonly leaseMs?: number;
  readonly pollMs?: number;
  readonly maxFailures?: number;
  readonly training?: TrainingSettings;
  readonly evaluation?: EvaluationSettings;
  /** Stop gracefully on SIGTERM and SIGINT (checkpoint, release), then exit. */
  readonly installSignalHandlers?: boolean;
  readonly logger?: Logger;
}

export interface ApiWorkerProcess {
  readonly handle: WorkerHandle;
  /** The token's actor: the worker id every report is recorded under. */
  readonly workerId: string;
  readonly artifacts: ApiArtifactStore;
  close(): Promise<void>;
}

/**
 * A worker that speaks only HTTP to the platform: jobs through the API's job mutations, reports through
 * the worker mutations, bytes through the artifact routes into a local cache keyed by hash. No database,
 * no shared disk. Its worker id is the token's actor, so each such process needs its own token.
 */
export async function startApiWorkerProcess(options: ApiWorkerProcessOptions): Promise<ApiWorkerProcess> {
  const logger = options.logger ?? pino({ name: 'tuneledger-worker' });
  const log: WorkerLog = {
    info: (message, fields) => logger.info(fields ?? {}, message),
    warn: (message, fields) => logger.warn(fields ?? {}, message),
  };
  const unsupported = options.kinds.filter((kind) => !(API_JOB_KINDS as readonly string[]).includes(kind));
  if (unsupported.length > 0) {
    throw new Error(`worker --api runs ${API_JOB_KINDS.join(', ')} jobs, not ${unsupported.join(', ')}`);
  }
  const client = new ApiClient({ ...options.api, log });
  const { me: viewer } = await client.graphql<{ me: { actor: string; roles: string[] } }>(
    'query Me { me { actor roles } }',
  );
  if (!workerRoles.some((role) => viewer.roles.includes(role))) {
    throw new Error(
      `the token's actor ${viewer.actor} has the roles ${viewer.roles.join(', ') || 'none'}; a worker needs a worker token (tuneledger token create --actor NAME --role worker)`,
    );
  }
  const services = new ApiTrainingServices(client);
  const streams = new ApiStreams(client);
  const artifacts = new ApiArtifactStore(client, join(options.dataDir, 'artifacts'));
  const cacheDir = join(options.dataDir, 'models');
  const handle = runWorker({
    kinds: options.kinds,
    handlers: {
      train: trainingJobHandler({
        services,
        store: services,
        artifacts,
        cacheDir,
        ...options.training,
      }),
      evaluate: evaluationJobHandler({
        services: apiEvaluationServices(streams),
        store: streams,
        artifacts,
        cacheDir,
        ...options.evaluation,
      }),
      augment: augmentationJobHandler({ services: apiAugmentationServices(streams), artifacts }),
      // No serving target here: the worker records the outcome, and serving processes follow the log.
      ...deploymentJobHandlers({ services: apiDeploymentServices(streams) }),
    },
    queue: apiJobQueue(client),
    workerId: viewer.actor,
    log,
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    ...(options.maxFailures !== undefined ? { maxFailures: options.maxFailures } : {}),
  });
  logger.info({ workerId: viewer.actor, kinds: options.kinds, api: client.baseUrl.origin }, 'worker started');
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await handle.stop();
      logger.info({ workerId: viewer.actor }, 'worker stopped');
    })());
  if (options.installSignalHandlers) stopOnSignals(close, logger);
  return { handle, workerId: viewer.actor, artifacts, close };
}
