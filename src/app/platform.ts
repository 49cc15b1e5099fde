import { constants as osConstants } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import type { Logger } from 'pino';
import { artifactStoreFor, LocalArtifactStore, redactText, type ArtifactStore } from '../data/index.js';
import {
  EsdbEventStore,
  PostgresEventStore,
  openDatabase,
  type Database,
  type EventStore,
} from '../eventstore/index.js';
import { createGraphqlServer, type GraphqlServer } from '../graphql/index.js';
import { ProjectionRunner, allProjections, startWorldSnapshots } from '../projections/index.js';
import {
  registryModelResolver,
  servingSettingsFromEnv,
  startServing,
  type GenerationPoolOptions,
  type MonitorConfig,
  type Serving,
} from '../serving/index.js';
import { createJobHandlers, InteractionRewardScoring, runWorker, unpackTar } from '../workers/index.js';
import { deploymentJobHandlers } from '../workers/deployment/index.js';
import { BenchmarkSchedule, evaluationSettingsFromEnv } from '../workers/evaluation/index.js';
import {
  createServices,
  RegistryRewardScorer,
  systemClock,
  uuidIds,
  type Services,
} from '../services/index.js';
import { loadMasterKey, ShreddingEventStore, SubjectKeys } from '../privacy/index.js';
import type { Config } from './config.js';
import { acquireDataDirLock, type DataDirLock } from './dataDirLock.js';
import { removeForwardedImports } from './forwarding.js';
import { startLedgerCheckpointer } from './ledgerCheckpointer.js';
import { mountConsole } from './consoleRoutes.js';
import { mountHealthRoutes } from './healthRoutes.js';
import { processLogger } from './logging.js';
import { startPlatformMetrics } from './platformMetrics.js';
import { migrateToLatest } from './migrate.js';
import { seedFromTemplate } from './pgliteTemplate.js';

/** The running platform: one database, one event store, the projections, the API and the workers. */
export interface Platform {
  readonly config: Config;
  readonly logger: Logger;
  readonly database: Database;
  readonly store: EventStore;
  readonly services: Services;
  readonly projections: ProjectionRunner;
  readonly artifacts: ArtifactStore;
  readonly graphql: GraphqlServer;
  /** The OpenAI-compatible endpoint under /v1 of the same server, and /metrics. */
  readonly serving: Serving;
  close(): Promise<void>;
}

/** What a caller embedding the platform may set beyond the environment (the demo, tests). */
export interface PlatformOptions {
  readonly logger?: Logger;
  /** Replace the serving settings read from the environment: generation threads, monitor thresholds. */
  readonly serving?: { readonly pool?: GenerationPoolOptions; readonly monitor?: MonitorConfig };
  /** The built web console served at / (default: dist/console of the package). */
  readonly consoleDir?: string;
}

/** A database opened for this process; embedded, it comes with the data directory's lock, released on close. */
export interface ConfiguredDatabase extends Database {
  readonly dataDirLock?: DataDirLock;
}

/**
 * PostgreSQL when DATABASE_URL is set; otherwise embedded PGlite under the data directory. PGlite is one process's
 * database: a second opener corrupts what the first writes. So the data directory's lock is taken before PGlite
 * touches a file, and a live holder makes this throw DataDirInUseError with nothing opened or written.
 * `command` names the opener in the lock (`start`, `token create`, ...), for the message others get.
 */
export async function openConfiguredDatabase(
  config: Config,
  command = 'tuneledger',
  options: { readonly exitOnSignal?: boolean; readonly logger?: Logger } = {},
): Promise<ConfiguredDatabase> {
  if (config.databaseUrl) {
    const database = await openDatabase({
      databaseUrl: config.databaseUrl,
      onConnectionError: (error) =>
        options.logger?.warn({ err: error }, 'a database connection failed; reconnecting on next use'),
    });
    return migrated(database);
  }
  const lock = acquireDataDirLock(config.dataDir, command);
  // A short command stopped by SIGINT/SIGTERM exits through process.exit, whose exit hook releases the lock.
  // A caller with its own graceful shutdown (startPlatform) passes exitOnSignal: false.
  const stopSignals = options.exitOnSignal === false ? () => {} : exitOnStopSignals();
  let database: Database;
  try {
    const dataDir = join(config.dataDir, 'pglite');
    if (config.pgliteTemplate && seedFromTemplate(dataDir))
      options.logger?.info({ dataDir }, 'new embedded database copied from the template');
    database = await openDatabase({ dataDir });
  } catch (error) {
    stopSignals();
    lock.release();
    throw error;
  }
  return migrated({
    ...database,
    dataDirLock: lock,
    async close() {
      try {
        await database.close();
      } finally {
        stopSignals();
        lock.release();
      }
    },
  });
}

/** Exit with the shell's status for the signal (128 + its number); returns a function that removes the handlers. */
function exitOnStopSignals(): () => void {
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
    const handler = () => process.exit(128 + osConstants.signals[signal]);
    process.once(signal, handler);
    return () => process.off(signal, handler);
  });
  return () => handlers.forEach((remove) => remove());
}

async function migrated<T extends Database>(database: T): Promise<T> {
  try {
    await migrateToLatest(database.db);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

/** A store shared with other processes keeps temp files written to within this time (a live write elsewhere). */
const SHARED_UNFINISHED_WRITE_AGE_MS = 24 * 60 * 60_000;

/** Whether no other process writes artifacts: the embedded database's lock is held and the store is inside it. */
function writesHereAlone(config: Config, database: ConfiguredDatabase): boolean {
  if (!database.dataDirLock) return false;
  const inside = relative(config.dataDir, config.artifactsDir);
  return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside);
}

export async function startPlatform(config: Config, options: PlatformOptions = {}): Promise<Platform> {
  const logger = options.logger ?? processLogger(config.logLevel);
  const cleanups: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((error: unknown) => logger.error({ err: error }, 'shutdown step failed'));
  };
  try {
    const database = await openConfiguredDatabase(config, 'start', { exitOnSignal: false, logger });
    cleanups.push(() => database.close());
    logger.info({ database: database.kind, dataDir: config.dataDir }, 'database ready');

    const log: EventStore = config.eventStoreUrl
      ? EsdbEventStore.connect(config.eventStoreUrl)
      : new PostgresEventStore(database);
    // Personal fields are encrypted per data subject on their way into the log and decrypted on the way out.
    const subjectKeys = new SubjectKeys(database.db, loadMasterKey(config.masterKey, config.dataDir));
    const store: EventStore = new ShreddingEventStore(log, subjectKeys);
    cleanups.push(() => store.close());

    // The redaction gate before the log follows the same PII policy as serving (TUNELEDGER_SERVING_PII_POLICY),
    // so what serving keeps or pseudonymises is not redacted a second time.
    const servingSettings = { ...servingSettingsFromEnv(), ...options.serving };
    const piiRedaction = servingSettings.piiRedaction;
    const services = createServices({
      store,
      clock: systemClock,
      ids: uuidIds,
      subjectKeys,
      redact: (text) => redactText(text, undefined, piiRedaction),
    });
    const artifacts = artifactStoreFor(config.artifacts);
    const unfinished =
      artifacts instanceof LocalArtifactStore
        ? await artifacts.removeUnfinishedWrites({
            notWrittenForMs: writesHereAlone(config, database) ? 0 : SHARED_UNFINISHED_WRITE_AGE_MS,
          })
        : 0;
    if (unfinished > 0)
      logger.info({ files: unfinished }, 'removed temp files of unfinished artifact writes');
    removeForwardedImports(config.dataDir);

    const projections = new ProjectionRunner({
      db: database.db,
      store,
      projections: allProjections,
      onError: (projection, error) => logger.error({ err: error, projection }, 'projection failed; retrying'),
    });
    projections.start();
    cleanups.push(() => projections.stop());
    if (config.asOfSnapshots.every > 0 && !config.eventStoreUrl) {
      // Time travel's snapshots, written here in the background, never in a request's path.
      const snapshotLogger = logger.child({ component: 'asof-snapshots' });
      const snapshots = startWorldSnapshots({
        db: database.db,
        store,
        every: config.asOfSnapshots.every,
        checkEveryMs: config.asOfSnapshots.checkSeconds * 1000,
        onWritten: (count) => snapshotLogger.info({ count }, 'time travel snapshots written'),
        onError: (error) => snapshotLogger.warn({ err: error }, 'time travel snapshots failed; retrying'),
      });
      cleanups.push(() => snapshots.stop());
    }

    const serving = await startServing({
      store,
      services,
      resolver: registryModelResolver({
        store,
        artifacts,
        untar: unpackTar,
        cacheDir: join(config.dataDir, 'serving-cache'),
      }),
      ...servingSettings,
      // CPU, memory, event-loop lag and the like (prom-client's defaults) on /metrics.
      defaultMetrics: true,
      logger: logger.child({ component: 'serving' }),
    });
    cleanups.push(() => serving.close());

    // The platform's own health on the same /metrics: training, evaluations, jobs, projections, the log.
    const metrics = startPlatformMetrics({
      registry: serving.metrics.registry,
      store: log,
      db: database.db,
      projections,
      onError: (error) => logger.warn({ err: error }, 'platform metrics lost the log; following it again'),
    });
    cleanups.push(() => metrics.close());

    const evaluation = evaluationSettingsFromEnv();
    if (config.workers.length > 0) {
      // Model computation runs in worker threads (training, evaluation), never on this event loop.
      const workers = runWorker({
        kinds: config.workers,
        handlers: createJobHandlers(
          { services, store, artifacts },
          {
            evaluation: evaluation.worker,
            extra: deploymentJobHandlers({ services, serving: serving.host }),
          },
        ),
        db: database.db,
        log: {
          info: (message, fields) => logger.info(fields ?? {}, message),
          warn: (message, fields) => logger.warn(fields ?? {}, message),
        },
      });
      cleanups.push(() => workers.stop());
      logger.info({ kinds: config.workers, workerId: workers.workerId }, 'in-process workers started');
    }

    if (evaluation.benchmark) {
      const schedule = new BenchmarkSchedule({
        services,
        db: database.db,
        clock: systemClock,
        ...evaluation.benchmark,
      }).start(60_000, (error) => logger.error({ err: error }, 'benchmark schedule tick failed'));
      cleanups.push(async () => schedule.stop());
    }

    // The rewardScores query: reward models resolved through the registry, kept loaded between requests.
    const rewardScorer = new RegistryRewardScorer(
      registryModelResolver({
        store,
        artifacts,
        untar: unpackTar,
        cacheDir: join(config.dataDir, 'serving-cache'),
      }),
    );
    cleanups.push(async () => rewardScorer.dispose());
    if (config.rewardScoring.everySeconds > 0) {
      // The flywheel's signal: served interactions scored by their model's current reward model, off the
      // request path (docs/data.md, "Served interactions scored by the reward model").
      const scoringLogger = logger.child({ component: 'reward-scoring' });
      const scoring = new InteractionRewardScoring({
        db: database.db,
        services,
        scorer: rewardScorer,
        batchSize: config.rewardScoring.batch,
      }).start(config.rewardScoring.everySeconds * 1000, {
        onPass: (pass) => {
          if (pass.scored + pass.unscorable > 0) scoringLogger.info(pass, 'served interactions scored');
        },
        onError: (error) => scoringLogger.warn({ err: error }, 'reward scoring failed; retrying'),
      });
      cleanups.push(() => scoring.stop());
    }
    const graphql = await createGraphqlServer({
      store,
      db: database.db,
      services,
      projections,
      artifacts,
      rewardScorer,
      artifactUrlTtlSeconds: config.artifactUrlTtlSeconds,
      datasetImportDir: join(config.dataDir, 'imports'),
      ...(config.piiKey ? { piiKey: config.piiKey } : {}),
      interactionCapture: serving.recorder,
      host: config.host,
      port: config.port,
      introspection: config.introspection,
      limits: { deadlineMs: config.graphqlDeadlineMs, maxSubscriptions: config.graphqlMaxSubscriptions },
      rateLimit: config.graphqlRateLimit,
      logger: logger.child({ component: 'graphql' }),
      routes: (app, api) => {
        mountHealthRoutes(app, { database, projections });
        serving.mount(app, api);
        mountConsole(app, options.consoleDir);
      },
      ledger: config.eventStoreUrl ? undefined : { publicKey: config.ledgerKey?.publicKey },
    });
    cleanups.push(() => graphql.close());
    // A CLI command run beside this server reads the address from the lock and sends its writes here.
    database.dataDirLock?.advertise(graphql.url);
    if (config.ledgerKey && config.ledgerCheckpointSeconds > 0 && !config.eventStoreUrl) {
      const checkpointer = startLedgerCheckpointer({
        database,
        store,
        key: config.ledgerKey,
        intervalSeconds: config.ledgerCheckpointSeconds,
        logger: logger.child({ component: 'ledger' }),
      });
      cleanups.push(() => checkpointer.stop());
    }
    logger.info({ url: graphql.url }, 'GraphQL API ready');

    await serving.ready;
    await metrics.following;
    return {
      config,
      logger,
      database,
      store,
      services,
      projections,
      artifacts,
      graphql,
      serving,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
