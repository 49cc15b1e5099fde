import { join } from 'node:path';
import { destination, pino, type Logger } from 'pino';
import type { MonitorConfig, Serving } from '../../serving/index.js';
import { augmentationJobHandler } from '../../workers/augmentation/index.js';
import { deploymentJobHandlers } from '../../workers/deployment/index.js';
import { evaluationJobHandler } from '../../workers/evaluation/index.js';
import { runWorker, trainingJobHandler, type JobHandler, type WorkerHandle } from '../../workers/index.js';
import { loadConfig } from '../config.js';
import { startPlatform, type Platform } from '../platform.js';

/** Compiled thread bodies; by default each worker uses the .js beside its own module (dist/). */
export interface DemoThreadEntries {
  readonly training?: string | URL;
  readonly evaluation?: string | URL;
  readonly generation?: URL;
}

export interface DemoPlatformOptions {
  readonly dataDir: string;
  readonly logLevel: string;
  readonly monitor: MonitorConfig;
  readonly threads?: DemoThreadEntries;
  /** Where the API listens (default 0: any free port). */
  readonly port?: number;
  /** The built web console to serve at / (default: the package's dist/console). */
  readonly consoleDir?: string;
}

/** The platform as the demo drives it: the API and serving URLs, and the tokens a user would hold. */
export interface DemoPlatform {
  readonly platform: Platform;
  readonly serving: Serving;
  readonly graphqlUrl: string;
  /** http://host:port of the OpenAI-compatible endpoint (/v1/...). */
  readonly servingUrl: string;
  readonly logger: Logger;
  /** Stops the in-process training worker, so no other worker claims runs after it. */
  stopTraining(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the platform (startPlatform, serving included) on the embedded database in `dataDir`, with the demo's
 * own workers for every job kind: the same handlers `tuneledger worker` uses at the demo's small sizes, and a
 * training worker the demo can stop once its one run is trained.
 */
export async function startDemoPlatform(options: DemoPlatformOptions): Promise<DemoPlatform> {
  const logger = pino({ level: options.logLevel }, destination(2));
  const config = {
    ...loadConfig({
      TUNELEDGER_DATA_DIR: options.dataDir,
      PORT: String(options.port ?? 0),
      HOST: '127.0.0.1',
      LOG_LEVEL: options.logLevel,
      // The demo runs its own workers below, bound to its own serving host.
      TUNELEDGER_WORKERS: 'none',
      ...(process.env.TUNELEDGER_TF_BACKEND
        ? { TUNELEDGER_TF_BACKEND: process.env.TUNELEDGER_TF_BACKEND }
        : {}),
    }),
  };
  const cleanups: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((error: unknown) => logger.error({ err: error }, 'demo shutdown step failed'));
  };
  try {
    const platform = await startPlatform(config, {
      logger,
      ...(options.consoleDir ? { consoleDir: options.consoleDir } : {}),
      serving: {
        pool: {
          threads: 1,
          maxQueue: 64,
          ...(options.threads?.generation ? { threadEntry: options.threads.generation } : {}),
        },
        monitor: options.monitor,
      },
    });
    cleanups.push(() => platform.close());
    const { store, services, artifacts } = platform;
    const cacheDir = join(options.dataDir, 'cache');

    const { serving } = platform;
    const servingUrl = platform.graphql.url.replace(/\/graphql$/, '');

    const dependencies = { services, store, artifacts };
    const quiet = {
      info: (message: string, fields?: Record<string, unknown>) => logger.info(fields ?? {}, message),
      warn: (message: string, fields?: Record<string, unknown>) => logger.warn(fields ?? {}, message),
    };
    const start = (kinds: string[], handlers: Record<string, JobHandler>): WorkerHandle =>
      runWorker({ kinds, handlers, db: platform.database.db, log: quiet, pollMs: 100, leaseMs: 30_000 });
    const training = start(['train'], {
      train: trainingJobHandler({
        ...dependencies,
        progressEvery: 2,
        checkpointEvery: 20,
        microBatchSize: 8,
        progressBar: false,
        cancelPollMs: 200,
        cacheDir,
        ...(options.threads?.training ? { threadEntry: options.threads.training } : {}),
      }),
    });
    const others = start(['evaluate', 'augment', 'deploy', 'rollback'], {
      evaluate: evaluationJobHandler({
        ...dependencies,
        maxTokens: 8,
        heatmapExamples: 1,
        noiseTypes: 'typos',
        cacheDir,
        ...(options.threads?.evaluation ? { threadEntry: options.threads.evaluation } : {}),
      }),
      augment: augmentationJobHandler({ services, artifacts }),
      ...deploymentJobHandlers({ services, serving: serving.host }),
    });
    let trainingStopped: Promise<void> | undefined;
    const stopTraining = () => (trainingStopped ??= training.stop().then(() => undefined));
    cleanups.push(() => others.stop().then(() => undefined));
    cleanups.push(stopTraining);

    return {
      platform,
      serving,
      graphqlUrl: platform.graphql.url,
      servingUrl,
      logger,
      stopTraining,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
