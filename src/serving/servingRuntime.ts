import type { RedactOptions } from '../data/pii/index.js';
import type express from 'express';
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { DeploymentService, FeedbackService } from '../services/index.js';
import type { EventStore } from '../eventstore/index.js';
import { DeploymentMonitor, type Degradation, type MonitorConfig } from './deploymentMonitor.js';
import { watchDeployments, type DeploymentWatcher } from './deploymentWatcher.js';
import { GenerationPool, type GenerationPoolOptions } from './generationPool.js';
import { InteractionRecorder, type InteractionRecorderOptions } from './interactionRecorder.js';
import type { ModelResolver } from '../services/index.js';
import { OutputFilter, type OutputClassifier, type OutputFilterConfig } from './outputFilter.js';
import { ServingHost } from './servingHost.js';
import { ServingMetrics } from './servingMetrics.js';
import { createServingRouter, type Caller, type ServingRouter } from './servingRouter.js';

export interface ServingDependencies {
  readonly store: EventStore;
  readonly services: { readonly feedback: FeedbackService; readonly deployments: DeploymentService };
  /** Where a model version's files are (registryModelResolver for the platform). */
  readonly resolver: ModelResolver;
  readonly pool?: GenerationPoolOptions;
  readonly outputFilter?: OutputFilterConfig;
  readonly classifiers?: readonly OutputClassifier[];
  readonly monitor?: MonitorConfig;
  readonly recorder?: InteractionRecorderOptions;
  /** Follow DeploymentActivated / RolledBack in the log (default true). */
  readonly watch?: boolean;
  /** Completion tokens when a request names none (default 64). */
  readonly defaultMaxTokens?: number;
  /** The PII policy prompts and logged answers are redacted with (default: redact every kind). */
  readonly piiRedaction?: RedactOptions;
  /** JSON body limit (default 1 MiB). */
  readonly maxBodyBytes?: number;
  /** How long a checked API token is trusted before it is checked again (default 5000 ms). */
  readonly authCacheMs?: number;
  /** Node's default process metrics on /metrics too (default false). */
  readonly defaultMetrics?: boolean;
  readonly logger?: Logger;
}

/** The platform's token check, and (optionally) word of tokens revoked in this process. */
export interface ServingAuth {
  authenticate(authorization?: string): Promise<Caller>;
  onTokenRevoked?(listener: (tokenId: string) => void): () => void;
}

export interface Serving {
  readonly host: ServingHost;
  readonly pool: GenerationPool;
  readonly recorder: InteractionRecorder;
  readonly monitor: DeploymentMonitor;
  readonly metrics: ServingMetrics;
  /** Resolves once the versions active at start-up are loaded. */
  readonly ready: Promise<void>;
  /**
   * Mounts /v1/* and /metrics; `api` is createGraphqlServer's routes api: the platform's token check and word
   * of the tokens it revokes (a revoked token is refused from the next request on).
   */
  mount(app: express.Express, api: ServingAuth): void;
  /** Degradation reports still being recorded. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the serving side: generation threads, the host of active versions (following the log), interaction
 * capture, metrics and the monitors. Mount it on the platform's express app with `mount`.
 */
export async function startServing(deps: ServingDependencies): Promise<Serving> {
  const logger = deps.logger ?? pino({ name: 'serving', level: 'info' });
  const metrics = new ServingMetrics({ defaultMetrics: deps.defaultMetrics ?? false });
  const pool = await GenerationPool.start(deps.pool);
  const recorder = new InteractionRecorder(deps.services.feedback, {
    ...deps.recorder,
    onDropped: (count, reason) => {
      metrics.interactionsDropped.inc(count);
      logger.warn({ count, reason }, 'interactions not recorded');
      deps.recorder?.onDropped?.(count, reason);
    },
  });
  let reports: Promise<void> = Promise.resolve();
  const report = (degradation: Degradation) => {
    metrics.degradations.inc({ deployment: degradation.deploymentName, metric: degradation.metric });
    logger.warn({ ...degradation }, 'degradation detected');
    const { key, model: _model, changePct: _changePct, ...input } = degradation;
    reports = reports
      .then(() =>
        deps.services.deployments.detectDegradation(input, {
          actor: 'serving-monitor',
          idempotencyKey: `degradation:${key}`,
        }),
      )
      .then(
        () => undefined,
        (error: unknown) =>
          logger.warn(
            { err: error, deployment: degradation.deploymentName },
            'could not record a degradation',
          ),
      );
  };
  const monitor = new DeploymentMonitor(deps.monitor, report);
  const host = new ServingHost(pool, deps.resolver, metrics, (deploymentName, model) =>
    monitor.activated(deploymentName, model),
  );
  const watcher: DeploymentWatcher | undefined =
    deps.watch === false
      ? undefined
      : watchDeployments(deps.store, host, {
          onError: (error) => logger.error({ err: error }, 'could not switch a deployment'),
        });
  const routers: ServingRouter[] = [];
  return {
    host,
    pool,
    recorder,
    monitor,
    metrics,
    ready: watcher?.caughtUp ?? Promise.resolve(),
    mount(app, api) {
      const router = createServingRouter({
        authenticate: (authorization) => api.authenticate(authorization),
        ...(api.onTokenRevoked ? { onTokenRevoked: (listener) => api.onTokenRevoked!(listener) } : {}),
        host,
        pool,
        recorder,
        monitor,
        metrics,
        outputFilter: new OutputFilter(deps.outputFilter, deps.classifiers),
        feedback: deps.services.feedback,
        defaultMaxTokens: deps.defaultMaxTokens ?? 64,
        piiRedaction: deps.piiRedaction ?? {},
        maxBodyBytes: deps.maxBodyBytes ?? 1 << 20,
        authCacheMs: deps.authCacheMs ?? 5000,
        onInternalError: (error) => logger.error({ err: error }, 'internal error in a serving request'),
      });
      routers.push(router);
      app.use(router);
    },
    settled: () => reports,
    async close() {
      for (const router of routers.splice(0)) router.close();
      await watcher?.close();
      await recorder.close();
      await reports;
      await pool.close();
    },
  };
}
