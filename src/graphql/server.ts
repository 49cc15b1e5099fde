import 'reflect-metadata';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import express from 'express';
import type { ExecutionArgs, GraphQLFormattedError } from 'graphql';
import { GraphQLError, parse, specifiedRules, validate } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { isDatabaseUnavailable } from '../eventstore/index.js';
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import { mountReportRoutes } from './audit/reportRoutes.js';
import { mountLedgerRoutes } from './ledger/ledgerRoutes.js';
import { ArtifactAccess } from './artifacts/artifactAccess.js';
import { mountArtifactRoutes } from './artifacts/artifactRoutes.js';
import { authenticate } from './auth/authenticate.js';
import { RevocationWatch } from './auth/revocationWatch.js';
import { TokenStore } from './auth/tokenStore.js';
import type { Viewer } from './auth/viewer.js';
import type { LedgerPublicKey } from '../eventstore/index.js';
import type { ApiContext, GraphqlDependencies } from './context.js';
import { Deadline } from './deadline.js';
import { depthRule } from './depthRule.js';
import { defaultExplorerDir, mountExplorer } from './explorer.js';
import {
  badInput,
  DATABASE_RETRY_AFTER_SECONDS,
  formatApiError,
  httpStatusForCode,
  toApiError,
  type ApiErrorCode,
} from './errors.js';
import type { QueryLimits } from './limits.js';
import { assertComplexity, assertInputDepth, defaultLimits } from './limits.js';
import {
  defaultRateLimit,
  RateLimiter,
  refusedDocumentFactor,
  tokensFor,
  type RateLimit,
} from './rateLimiter.js';
import {
  ResponseCache,
  type CacheScope,
  type CachedResponse,
  type ComputedResponse,
  type ResponseCacheOptions,
  type ResponseCacheStats,
} from './responseCache.js';
import { compiledExecution } from './compiledExecution.js';
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

function rateLimitMessage(waitSeconds: number): string {
  return `too many requests: this caller's rate limit is spent; retry in ${waitSeconds} s (Retry-After)`;
}

/** The variables of a POST body or a GET query string, as sent (undefined when none or not JSON). */
function requestVariables(req: express.Request): unknown {
  if (req.method !== 'GET') return (req.body as { variables?: unknown } | undefined)?.variables;
  const text = req.query.variables;
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined; // Apollo answers 400 for it.
  }
}

/** The HTTP status an answer made only of errors with these codes gets, or null when one is ours (500). */
function clientStatusFor(codes: readonly unknown[]): number | null {
  const statuses = codes.map((code) =>
    code === 'UNAUTHENTICATED'
      ? 401
      : code === 'FORBIDDEN'
        ? 403
        : code === 'DEADLINE_EXCEEDED'
          ? 504
          : code === 'BAD_USER_INPUT' ||
              code === 'GRAPHQL_VALIDATION_FAILED' ||
              code === 'GRAPHQL_PARSE_FAILED'
            ? 400
            : null,
  );
  if (statuses.length === 0 || statuses.includes(null)) return null;
  return Math.max(...(statuses as number[]));
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
  const feed = new EventFeed(options.store, {
    onError: (error) => logger.error({ err: error }, 'the shared event subscription failed'),
  });
  // The feed opens with the first GraphQL subscriber, not here: open without one, it would read back every
  // append (serving's interactions among them) on this thread for nothing.

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
  const rateLimiter =
    options.rateLimit === false ? null : new RateLimiter({ ...defaultRateLimit, ...options.rateLimit });
  const app = express();
  // The explorer wherever introspection is on: it browses the schema by introspection.
  if (options.introspection ?? true) mountExplorer(app, options.explorerDir ?? defaultExplorerDir());
  const httpServer = createServer(app);
  // noServer, with the upgrade wired here: a WebSocketServer given the http server re-emits its listen errors
  // (a port in use), which graphql-ws then prints with a stack trace before the caller can say it in one line.
  const webSockets = new WebSocketServer({ noServer: true, maxPayload: limits.maxBodyBytes });
  httpServer.on('upgrade', (request, socket, head) => {
    if (new URL(request.url ?? '/', 'http://localhost').pathname !== '/graphql') {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    webSockets.handleUpgrade(request, socket, head, (client) =>
      webSockets.emit('connection', client, request),
    );
  });

  const wsCleanup = useServer<Record<string, unknown>, { viewer?: Viewer; socket: WebSocket }>(
    {
      schema,
      context: (ctx): ApiContext => ({ deps, viewer: ctx.extra.viewer!, feed, tokens }),
      onConnect: async (ctx) => {
        const param = ctx.connectionParams?.Authorization ?? ctx.connectionParams?.authorization;
        try {
          ctx.extra.viewer = await authenticate(typeof param === 'string' ? param : undefined, tokens);
          revocations.watch(ctx.extra.socket, ctx.extra.viewer);
          return true;
        } catch (error) {
          // 4401 Unauthorized with the reason (a close reason may hold 123 bytes at most); 1013 Try Again
          // Later when the database could not be asked.
          const mapped = toApiError(error, onInternal);
          const reason = mapped.message;
          ctx.extra.socket.close(
            mapped.code === 'DATABASE_UNAVAILABLE' ? 1013 : 4401,
            Buffer.from(reason)
              .subarray(0, 123)
              .toString()
              .replace(/\uFFFD$/, ''),
          );
          return false;
        }
      },
      onSubscribe: (_ctx, _id, payload) => {
        try {
          assertInputDepth(payload.variables, limits.maxInputDepth);
          const document = parse(payload.query, { maxTokens: limits.maxTokens });
          const errors = validate(schema, document, [...specifiedRules, depth]);
          if (errors.length > 0) return errors;
          assertComplexity(
            schema,
            document,
            payload.variables ?? undefined,
            payload.operationName ?? undefined,
            limits,
          );
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          // graphql-js's parser recurses: a document nested thousands deep overflows it (HTTP: Apollo
          // answers GRAPHQL_PARSE_FAILED).
          if (error instanceof RangeError)
            return [badInput(`the document could not be read: ${error.message}`)];
          throw error;
        }
        return undefined;
      },
      onNext: (_ctx, _id, _payload, _args: ExecutionArgs, result) => {
        if (!result.errors) return result;
        return {
          ...result,
          errors: result.errors.map((error) =>
            formatApiError(error.toJSON() as GraphQLFormattedError, error, onInternal),
          ),
        } as unknown as typeof result;
      },
      onError: (_ctx, _id, _payload, errors) =>
        errors.map((error) => {
          const formatted = formatApiError(error.toJSON(), error, onInternal);
          return new GraphQLError(formatted.message, { extensions: formatted.extensions });
        }),
    },
    webSockets,
  );

  const introspection = options.introspection ?? true;
  const apollo = new ApolloServer<ApiContext>({
    gateway: compiledExecution(schema, options.execution ?? 'compiled'),
    introspection,
    validationRules: [depth],
    parseOptions: { maxTokens: limits.maxTokens },
    formatError: (formatted, error) =>
      formatApiError(formatted, unwrapResolverError(error) ?? error, onInternal),
    plugins: [
      // The default cache-control plugin hooks willResolveField, which makes Apollo wrap every
      // field resolver of the schema (a 1,000-point metric series is thousands of wrapped calls);
      // no type sets cache hints, so it only ever computed "not cacheable" (no header).
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Our own explorer (explorer.ts) replaces Apollo's landing page, which loads from a CDN.
      ApolloServerPluginLandingPageDisabled(),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
      {
        async requestDidStart() {
          return {
            async didResolveOperation({ request, document }) {
              try {
                assertComplexity(schema, document, request.variables, request.operationName, limits);
              } catch (error) {
                // Estimating the cost coerces the variables first: a missing or mistyped one is the
                // client's error (400), which Apollo would answer with 500 from this hook.
                if (error instanceof GraphQLError && !error.extensions['http']) {
                  throw new GraphQLError(error.message, {
                    nodes: error.nodes,
                    extensions: { ...error.extensions, http: { status: 400 } },
                  });
                }
                throw error;
              }
            },
            // A request the database could not serve answers 503 with Retry-After, so that HTTP clients and
            // proxies see a retryable failure (the errors say DATABASE_UNAVAILABLE). Apollo answers 500
            // for an error raised before execution that names no HTTP status; an answer whose every
            // error is the client's (BAD_USER_INPUT...) gets the client's status instead.
            async willSendResponse({ response, contextValue }) {
              if (response.body.kind !== 'single') return;
              const warnings = contextValue.warnings ?? [];
              if (warnings.length > 0) {
                const result = response.body.singleResult;
                result.extensions = { ...result.extensions, warnings };
              }
              const errors = response.body.singleResult.errors ?? [];
              if (errors.some((error) => error.extensions?.code === 'DATABASE_UNAVAILABLE')) {
                response.http.status = 503;
                response.http.headers.set('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
                return;
              }
              if (response.http.status !== 500) return;
              const status = clientStatusFor(errors.map((error) => error.extensions?.code));
              if (status !== null) response.http.status = status;
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  const cache = options.responseCache === false ? null : new ResponseCache(options.db, options.responseCache);
  const contextFor = (viewer: Viewer | null, authError: unknown, cacheScope?: CacheScope): ApiContext => {
    const deadline = new Deadline(limits.deadlineMs);
    const warnings: string[] = [];
    if (viewer)
      return cacheScope
        ? {
            deps: { ...deps, db: cacheScope.track(deps.db) },
            viewer,
            feed,
            tokens,
            cacheScope,
            deadline,
            warnings,
          }
        : { deps, viewer, feed, tokens, deadline, warnings };
    const mapped = toApiError(authError, onInternal);
    const status = httpStatusForCode(mapped.code);
    const headers = new HeaderMap(
      status === 503 ? [['retry-after', String(DATABASE_RETRY_AFTER_SECONDS)]] : [],
    );
    throw new GraphQLError(mapped.message, {
      extensions: { ...mapped.extensions, code: mapped.code, http: { status, headers } },
    });
  };
  /** Apollo's answer as one body string (streamed answers are passed through and never cached). */
  const execute = async (
    req: express.Request,
    res: express.Response,
    context: () => Promise<ApiContext>,
  ): Promise<ComputedResponse | null> => {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const answer = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: req.method.toUpperCase(),
        headers,
        search: new URL(req.originalUrl, 'http://localhost').search,
        body: req.body,
      },
      context,
    });
    if (answer.body.kind === 'complete') {
      return {
        status: answer.status ?? 200,
        response: { body: answer.body.string, headers: [...answer.headers] },
      };
    }
    for (const [key, value] of answer.headers) res.setHeader(key, value);
    res.statusCode = answer.status ?? 200;
    for await (const chunk of answer.body.asyncIterator) res.write(chunk);
    res.end();
    return null;
  };
  /** An answer refused before Apollo sees the request, in GraphQL's error shape. */
  const refuse = (
    res: express.Response,
    status: number,
    code: ApiErrorCode,
    message: string,
    extensions: Record<string, unknown>,
  ) => {
    if (status === 429) res.setHeader('retry-after', String(extensions.retryAfterSeconds));
    res.status(status).json({ errors: [{ message, extensions: { ...extensions, code } }] });
  };
  const send = (res: express.Response, status: number, response: CachedResponse, cacheState?: string) => {
    for (const [key, value] of response.headers) res.setHeader(key, value);
    if (cacheState) res.setHeader('x-tuneledger-cache', cacheState);
    // end(), not send(): send() would hash every body for an ETag that POST answers never use.
    res.statusCode = status;
    res.setHeader('content-length', Buffer.byteLength(response.body));
    res.end(response.body);
  };
  /** Who asked, found before the body is read: the rate limit is taken first, so a refusal reads nothing. */
  interface Caller {
    viewer: Viewer | null;
    authError: unknown;
    /** The rate limiter's key: the API token, or the client's address without one. */
    key: string;
    /** Tokens the request took. */
    tokens: number;
  }
  app.use(
    '/graphql',
    async (req: express.Request, res: express.Response, next: express.NextFunction) => {
      try {
        const caller: Caller = { viewer: null, authError: null, key: '', tokens: 0 };
        try {
          caller.viewer = await authenticate(req.headers.authorization, tokens);
        } catch (error) {
          caller.authError = error;
        }
        caller.key = caller.viewer?.tokenId ?? `address:${req.ip}`;
        caller.tokens = tokensFor(Number(req.headers['content-length'] ?? 0) || 0);
        const waitSeconds = rateLimiter?.take(caller.key, caller.tokens) ?? 0;
        if (waitSeconds > 0) {
          refuse(res, 429, 'RATE_LIMITED', rateLimitMessage(waitSeconds), { retryAfterSeconds: waitSeconds });
          return;
        }
        res.locals.caller = caller;
        next();
      } catch (error) {
        next(error);
      }
    },
    express.json({ limit: limits.maxBodyBytes }),
    async (req: express.Request, res: express.Response, next: express.NextFunction) => {
      try {
        const caller = res.locals.caller as Caller;
        const { viewer, authError } = caller;
        // A document refused before it ran (HTTP 400: over a size, depth, selection or cost limit,
        // or invalid) was work for nobody: it costs its caller refusedDocumentFactor times its tokens.
        const charge = (status: number) => {
          if (status === 400) rateLimiter?.charge(caller.key, caller.tokens * (refusedDocumentFactor - 1));
        };
        const variables = requestVariables(req);
        if (variables !== undefined) {
          try {
            assertInputDepth(variables, limits.maxInputDepth);
          } catch (error) {
            refuse(res, 400, 'BAD_USER_INPUT', (error as Error).message, {
              maxInputDepth: limits.maxInputDepth,
            });
            charge(400);
            return;
          }
        }
        const context = async () => contextFor(viewer, authError);
        const key =
          cache && viewer && req.method === 'POST'
            ? cache.keyFor(req.body, viewer, req.headers.accept)
            : null;
        if (!cache || key === null) {
          const answer = await execute(req, res, context);
          if (answer) {
            charge(answer.status);
            send(res, answer.status, answer.response);
          }
          return;
        }
        const answer = await cache.answer(key, (scope) =>
          execute(req, res, async () => contextFor(viewer, authError, scope)),
        );
        if (answer) {
          charge(answer.status);
          send(res, answer.status, answer.response, answer.hit ? 'hit' : 'miss');
        }
      } catch (error) {
        next(error);
      }
    },
  );
  // After /graphql, so API requests do not walk the other routers' layers first.
  mountReportRoutes(app, deps, (header) => authenticate(header, tokens), onInternal);
  if (options.ledger) {
    mountLedgerRoutes(
      app,
      deps.db,
      options.ledger.publicKey,
      (header) => authenticate(header, tokens),
      onInternal,
    );
  }
  if (deps.artifacts) {
    mountArtifactRoutes(app, {
      artifacts: deps.artifacts,
      access: new ArtifactAccess(deps.db),
      urlTtlSeconds: options.artifactUrlTtlSeconds ?? 900,
      authenticate: (header) => authenticate(header, tokens),
      onInternal,
    });
  }
  options.routes?.(app, {
    authenticate: (header) => authenticate(header, tokens),
    onTokenRevoked: (listener) => tokens.onRevoked(listener),
  });
  app.use((error: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    const status = (error as { status?: number; type?: string }).status;
    if ((error as { type?: string }).type === 'entity.too.large') {
      res.status(413).json({
        errors: [
          {
            message: `request body too large: the limit is ${limits.maxBodyBytes} bytes; send smaller documents or variables`,
            extensions: { code: 'BAD_USER_INPUT' },
          },
        ],
      });
      return;
    }
    if (status && status >= 400 && status < 500) {
      res.status(status).json({
        errors: [{ message: String((error as Error).message), extensions: { code: 'BAD_USER_INPUT' } }],
      });
      return;
    }
    if (isDatabaseUnavailable(error) && !res.headersSent) {
      const mapped = toApiError(error, onInternal);
      res.setHeader('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
      res.status(503).json({
        errors: [{ message: mapped.message, extensions: { ...mapped.extensions, code: mapped.code } }],
      });
      return;
    }
    next(error);
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? 4000, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = httpServer.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}/graphql`;
  logger.info(
    { url },
    'GraphQL API listening (queries over HTTP, subscriptions over graphql-ws at the same path)',
  );

  let closing: Promise<void> | null = null;
  return {
    url,
    port: address.port,
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
