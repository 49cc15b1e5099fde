import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { LedgerPublicKey } from '../eventstore/index.js';
import { ArtifactAccess } from './artifacts/artifactAccess.js';
import { mountArtifactRoutes } from './artifacts/artifactRoutes.js';
import { mountReportRoutes } from './audit/reportRoutes.js';
import { authenticate } from './auth/authenticate.js';
import { RevocationWatch } from './auth/revocationWatch.js';
import { TokenStore } from './auth/tokenStore.js';
import type { Viewer } from './auth/viewer.js';
import type { GraphqlDependencies } from './context.js';
import { depthRule } from './depthRule.js';
import { defaultExplorerDir, mountExplorer } from './explorer.js';
import { startApollo } from './http/apolloServer.js';
import { apiErrorHandler } from './http/errorHandler.js';
import { mountGraphqlRoute } from './http/graphqlRoute.js';
import { serveSubscriptions } from './http/subscriptionServer.js';
import { mountLedgerRoutes } from './ledger/ledgerRoutes.js';
import type { QueryLimits } from './limits.js';
import { defaultLimits } from './limits.js';
import { defaultRateLimit, RateLimiter, type RateLimit } from './rateLimiter.js';
import { ResponseCache, type ResponseCacheOptions, type ResponseCacheStats } from './responseCache.js';
import { buildApiSchema } from './schema.js';
import { EventFeed } from './subscriptions/eventFeed.js';

export interface GraphqlServerOptions extends GraphqlDependencies {
  /** 0 picks a free port. Default 4000. */
  readonly port?: number;
  readonly host?: string;
  /** Whether clients may introspect the schema (TUNELEDGER_INTROSPECTION). Default true. */
  readonly introspection?: boolean;
  /** Where the built explorer page is (default: the package's dist/explorer, written by `npm run build`). */
  readonly explorerDir?: string;
  readonly limits?: Partial<QueryLimits>;
  /**
   * Requests per caller over HTTP /graphql (token bucket by API token, or by client address in local
   * mode; a request takes one token plus one per 16 KiB of body); over it a caller gets HTTP 429
   * with Retry-After. false turns it off. Default 100/s, burst 200.
   */
  readonly rateLimit?: Partial<RateLimit> | false;
  readonly logger?: Logger;
  /**
   * How often open graphql-ws connections are checked against revoked tokens (a revocation in
   * another process closes them within this time; one through this server's TokenStore at once).
   * Default 1000 ms.
   */
  readonly revocationCheckMs?: number;
  /**
   * Caching of read-model query answers, valid while no projection has moved (see ResponseCache);
   * false turns it off. Default on, 32 MiB.
   */
  readonly responseCache?: ResponseCacheOptions | false;
  /**
   * How queries and mutations run: 'compiled' (default) compiles each document once with
   * graphql-jit; 'interpreted' is graphql-js's executor. Subscriptions always use graphql-js.
   */
  readonly execution?: 'compiled' | 'interpreted';
  /**
   * Serve the ledger's signed checkpoints at /ledger/checkpoints (the log is in PostgreSQL/PGlite), with the
   * public key of the configured signing key when there is one.
   */
  readonly ledger?: { readonly publicKey?: LedgerPublicKey };
  /**
   * How long the presigned URLs GET /artifacts/:sha256 hands out stay valid, with a store that has them
   * (S3). Default 900 s. The artifact routes are mounted when `artifacts` is given.
   */
  readonly artifactUrlTtlSeconds?: number;
  /** Extra express routes (e.g. /v1 and /metrics of serving), mounted after /graphql and /reports. */
  readonly routes?: (app: express.Express, api: RoutesApi) => void;
}

/** What extra routes get from the server: its token check, and word of tokens it revokes. */
export interface RoutesApi {
  authenticate(header?: string): Promise<Viewer>;
  /** Calls `listener` when this server's TokenStore revokes a token; returns the function that stops it. */
  onTokenRevoked(listener: (tokenId: string) => void): () => void;
}

export interface GraphqlServer {
  /** http://host:port/graphql; the same path serves graphql-ws (ws://). */
  readonly url: string;
  readonly port: number;
  readonly tokens: TokenStore;
  /** How many subscriptions the shared event feed serves now. */
  subscriberCount(): number;
  /** The response cache's hits, misses and size so far; null when it is off. */
  responseCacheStats(): ResponseCacheStats | null;
  close(): Promise<void>;
}

/**
 * Apollo Server over express at /graphql, and graphql-ws on the same http server and path.
 * Both authenticate the caller (header or connection param `Authorization`), apply the same
 * depth and cost limits, and format errors the same way.
 */
export async function createGraphqlServer(options: GraphqlServerOptions): Promise<GraphqlServer> {
  const logger = options.logger ?? pino({ name: 'graphql', level: 'info' });
  const limits: QueryLimits = { ...defaultLimits, ...options.limits };
  const schema = await buildApiSchema();
  const tokens = new TokenStore(options.db);
  const deps: GraphqlDependencies = {
    store: options.store,
    db: options.db,
    services: options.services,
    projections: options.projections,
    artifacts: options.artifacts,
    datasetImportDir: options.datasetImportDir,
    ...(options.piiKey ? { piiKey: options.piiKey } : {}),
    interactionCapture: options.interactionCapture,
    ...(options.rewardScorer ? { rewardScorer: options.rewardScorer } : {}),
  };
  // The feed opens with the first GraphQL subscriber, not here: open without one, it would read back every
  // append (serving's interactions among them) on this thread for nothing.
  const feed = new EventFeed(options.store, {
    onError: (error) => logger.error({ err: error }, 'the shared event subscription failed'),
  });
  if (!(await tokens.hasActiveTokens())) {
    logger.warn(
      'LOCAL SINGLE-USER MODE: no API token exists, so every caller acts as "local" with all roles. Create a token with `tuneledger token create --actor NAME --role admin` to require tokens.',
    );
  }
  const onInternal = (error: unknown) => logger.error({ err: error }, 'internal error in a GraphQL request');
  const revocations = new RevocationWatch(tokens, {
    intervalMs: options.revocationCheckMs ?? 1000,
    onError: (error) => logger.error({ err: error }, 'checking open subscriptions for revoked tokens failed'),
  });
  const depth = depthRule(limits.maxDepth);
  const introspection = options.introspection ?? true;

  const app = express();
  // The explorer wherever introspection is on: it browses the schema by introspection.
  if (introspection) mountExplorer(app, options.explorerDir ?? defaultExplorerDir());
  const httpServer = createServer(app);
  // One bucket per caller for /graphql, its subscriptions and /reports: switching routes does not double a share.
  const rateLimiter =
    options.rateLimit === false ? null : new RateLimiter({ ...defaultRateLimit, ...options.rateLimit });
  const closeSubscriptions = serveSubscriptions(httpServer, {
    schema,
    limits,
    depth,
    deps,
    feed,
    tokens,
    revocations,
    rateLimiter,
    onInternal,
  });
  const apollo = await startApollo({
    schema,
    limits,
    depth,
    introspection,
    execution: options.execution ?? 'compiled',
    httpServer,
    closeSubscriptions,
    onInternal,
  });
  const cache = options.responseCache === false ? null : new ResponseCache(options.db, options.responseCache);
  mountGraphqlRoute(app, { apollo, limits, deps, feed, tokens, rateLimiter, cache, onInternal });
  // After /graphql, so API requests do not walk the other routers' layers first.
  mountOtherRoutes(app, options, deps, tokens, rateLimiter, onInternal);
  app.use(apiErrorHandler(limits.maxBodyBytes, onInternal));

  const url = await listen(httpServer, options.port ?? 4000, options.host ?? '127.0.0.1');
  logger.info(
    { url },
    'GraphQL API listening (queries over HTTP, subscriptions over graphql-ws at the same path)',
  );
  let closing: Promise<void> | null = null;
  return {
    url,
    port: (httpServer.address() as AddressInfo).port,
    tokens,
    subscriberCount: () => feed.listenerCount,
    responseCacheStats: () => cache?.stats() ?? null,
    close() {
      closing ??= (async () => {
        revocations.close();
        await feed.close();
        await apollo.stop();
      })();
      return closing;
    },
  };
}

/** The audit reports, the ledger's checkpoints, the artifacts and the caller's extra routes (serving). */
function mountOtherRoutes(
  app: express.Express,
  options: GraphqlServerOptions,
  deps: GraphqlDependencies,
  tokens: TokenStore,
  rateLimiter: RateLimiter | null,
  onInternal: (error: unknown) => void,
): void {
  const check = (header?: string) => authenticate(header, tokens);
  mountReportRoutes(app, deps, check, onInternal, rateLimiter);
  if (options.ledger) mountLedgerRoutes(app, deps.db, options.ledger.publicKey, check, onInternal);
  if (deps.artifacts) {
    mountArtifactRoutes(app, {
      artifacts: deps.artifacts,
      access: new ArtifactAccess(deps.db),
      urlTtlSeconds: options.artifactUrlTtlSeconds ?? 900,
      authenticate: check,
      onInternal,
    });
  }
  options.routes?.(app, { authenticate: check, onTokenRevoked: (listener) => tokens.onRevoked(listener) });
}

/** Listens, and answers the /graphql URL; a port in use rejects (the caller says so in one line). */
async function listen(httpServer: Server, port: number, hostname: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, hostname, () => resolve());
  });
  const address = httpServer.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}/graphql`;
}
